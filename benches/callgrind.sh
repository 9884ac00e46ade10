#!/usr/bin/env bash
# Instructions per lookup, counted by callgrind (valgrind), for numplan and its named peer (the
# `phonenumber` crate) on the same 1,000 French register numbers: see benches/instructions.rs.
# Each measure runs twice, with 1 and 11 passes; (Ir(11) - Ir(1)) / 10,000 is one lookup's count.
#
#   bash benches/callgrind.sh
#
# Needs valgrind. Takes about a minute (most of it building the bench in release mode).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 2; }
exe=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null \
  | grep -o '"executable":"[^"]*instructions-[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$exe" ] || { echo "callgrind.sh: the instructions bench did not build" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() { # measure passes -> total instructions
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1.$2" "$exe" "$1" "$2" >/dev/null 2>"$out/log.$1.$2" \
    || { cat "$out/log.$1.$2" >&2; exit 1; }
  grep -o 'Collected : [0-9]*' "$out/log.$1.$2" | grep -o '[0-9]*$'
}
echo "instructions per lookup (callgrind; 1,000 French register numbers, (11 passes - 1 pass) / 10,000):"
for m in lookup national peer; do
  one=$(count "$m" 1)
  eleven=$(count "$m" 11)
  per=$(( (eleven - one) / 10000 ))
  eval "per_$m=$per"
  case $m in
    lookup)   label="numplan lookup (normalise + find + validate + verdict)";;
    national) label="numplan lookup_national (find only)";;
    peer)     label="peer: phonenumber parse + number_type";;
  esac
  printf '  %-56s %8d\n' "$label" "$per"
done
awk -v p="$per_peer" -v o="$per_lookup" 'BEGIN { printf "  ratio peer / numplan lookup: %.1fx\n", p / o }'

#!/usr/bin/env bash
# HTTP load of `numplan serve` on loopback, measured with wrk (Debian's package), on the French
# plan signed with a fresh key:
#
#   1. single lookups: GET /v1/numbers/{number} over 1,000 register numbers, 64 connections;
#   2. batches: POST /v1/numbers of the most numbers a request takes (10,000 in tsv, 1,000 in
#      json), 4 connections;
#   3. reloads: single lookups for the whole run while a new signed artifact is renamed into
#      place every second; the server's memory (VmRSS) is sampled every second.
#
# Usage: bash benches/load.sh [SECONDS]   (default 30 per scenario, 60 for the reload run;
# CI runs it with 2 as a smoke test). Every request must succeed; the script exits 1 otherwise.
# Traffic goes to 127.0.0.1 only; every run is bounded by its duration.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
reload_secs=$((secs * 2))
command -v wrk >/dev/null || { echo "load.sh: install wrk (apt-get install -y wrk)" >&2; exit 2; }

cargo build --release --quiet
bin=$PWD/target/release/numplan
work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The inputs: the first number of every 20th block of the register (national form), and the
# batch body made of them, repeated to 10,000 lines.
awk -F';' 'NR > 1 && NR % 20 == 0 { print $2 }' plan-sources/fr/MAJNUM.csv | head -1000 > "$work/numbers.txt"
: > "$work/batch.txt"
while [ "$(wc -l < "$work/batch.txt")" -lt 10000 ]; do cat "$work/numbers.txt" >> "$work/batch.txt"; done
head -10000 "$work/batch.txt" > "$work/batch10k.txt"
head -1000 "$work/batch.txt" > "$work/batch1k.txt"

# Two signed artifacts of the same plan and sequence that differ (their expiry dates), to swap.
"$bin" keygen -o "$work/k" >/dev/null
mkdir -p "$work/a" "$work/b" "$work/served"
"$bin" compile plan-sources/fr -o "$work/a/fr.npa" --sign "$work/k.key" --expires 2099-01-01 >/dev/null
"$bin" compile plan-sources/fr -o "$work/b/fr.npa" --sign "$work/k.key" --expires 2099-01-02 >/dev/null
cp "$work/a/fr.npa" "$work/a/fr.npa.minisig" "$work/served/"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
"$bin" serve --plan "$work/served/fr.npa" --pub "$work/k.pub" --listen "127.0.0.1:$port" 2> "$work/serve.log" &
server=$!
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$url/healthz" >/dev/null

failed=0
result() { # the RESULT line of a wrk run, checked for errors
  local line
  line=$(grep '^RESULT' "$1")
  case "$line" in *non2xx_or_errors=0\ *) ;; *) echo "FAILED requests: $line" >&2; failed=1 ;; esac
  echo "$line"
}
field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<< "$1"; }

echo "== single lookups: GET /v1/numbers/{number}, 64 connections, ${secs} s"
wrk -t1 -c64 -d"${secs}s" --latency -s benches/wrk/load.lua "$url" -- single "$work/numbers.txt" > "$work/single.out"
r=$(result "$work/single.out")
n=$(field "$r" requests); s=$(field "$r" seconds)
printf '   %.0f requests/s, p50 %s µs, p99 %s µs\n' "$(echo "$n / $s" | bc -l)" "$(field "$r" p50_us)" "$(field "$r" p99_us)"

for batch in "tsv 10000" "json 1000"; do
  read -r format size <<< "$batch"
  echo "== batches: POST /v1/numbers of $size numbers (the most a request), format=$format, 4 connections, ${secs} s"
  wrk -t1 -c4 -d"${secs}s" --timeout 10s --latency -s benches/wrk/load.lua "$url" -- batch "$work/batch$((size / 1000))k.txt" "$format" > "$work/batch.out"
  r=$(result "$work/batch.out")
  n=$(field "$r" requests); s=$(field "$r" seconds)
  printf '   %.0f numbers/s (%.1f batches/s), p50 %s µs, p99 %s µs a batch\n' \
    "$(echo "$n * $size / $s" | bc -l)" "$(echo "$n / $s" | bc -l)" "$(field "$r" p50_us)" "$(field "$r" p99_us)"
done

echo "== reloads: single lookups for ${reload_secs} s, a new signed artifact renamed into place every second"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$server/status"; }
wrk -t1 -c64 -d"${reload_secs}s" --latency -s benches/wrk/load.lua "$url" -- single "$work/numbers.txt" > "$work/reload.out" &
load=$!
: > "$work/rss.txt"
for i in $(seq "$reload_secs"); do
  side=$([ $((i % 2)) -eq 1 ] && echo b || echo a)
  cp "$work/$side/fr.npa" "$work/served/.fr.npa.new"
  cp "$work/$side/fr.npa.minisig" "$work/served/.fr.npa.minisig.new"
  # The pair is renamed under the directory's lock, as `numplan compile --sign` does.
  flock "$work/served" sh -c "mv '$work/served/.fr.npa.new' '$work/served/fr.npa' && mv '$work/served/.fr.npa.minisig.new' '$work/served/fr.npa.minisig'"
  sleep 1
  rss >> "$work/rss.txt"
done
wait "$load"
r=$(result "$work/reload.out")
n=$(field "$r" requests); s=$(field "$r" seconds)
reloads=$(curl -s "$url/metrics" | awk '/^numplan_reloads_total/ { print $2 }')
refused=$(curl -s "$url/metrics" | awk '/^numplan_reloads_refused_total/ { n += $2 } END { print n }')
printf '   %.0f requests/s, p50 %s µs, p99 %s µs; %s reloads, %s refused\n' \
  "$(echo "$n / $s" | bc -l)" "$(field "$r" p50_us)" "$(field "$r" p99_us)" "$reloads" "$refused"
awk 'NR == 1 { first = $1; min = $1; max = $1 } { if ($1 < min) min = $1; if ($1 > max) max = $1; last = $1 }
     END { printf "   memory (VmRSS, KiB): first %d, min %d, max %d, last %d over %d samples\n", first, min, max, last, NR }' "$work/rss.txt"
echo "   every 10 s: $(awk 'NR % 10 == 0 { printf "%s ", $1 }' "$work/rss.txt")"
[ "$reloads" -ge $((reload_secs / 2)) ] || { echo "FAILED: only $reloads reloads" >&2; failed=1; }
[ "$refused" -eq 0 ] || { echo "FAILED: $refused reloads refused" >&2; grep refused "$work/serve.log" | head -3 >&2; failed=1; }
exit "$failed"

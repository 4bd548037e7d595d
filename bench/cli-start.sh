#!/usr/bin/env bash
# cli-start.sh measures how fast the CLI starts a module, with a warm and a
# cold compilation cache, against the wazero CLI in the same run:
#
#   wasmhive run MODULE                      (cache: $XDG_CACHE_HOME/wasmhive/...)
#   wazero run -cachedir DIR MODULE          (wazero v1.12.0, default flags)
#
# wasmhive is built from the working tree as released: CGO_ENABLED=0 go build
# (static; see bench/README.md for why). The wazero CLI is built as its README
# says, go install (cgo on when a C compiler is there, so dynamically linked).
# The warm cases also measure, as extra columns, wasmhive built with a plain
# `go build` (dynamically linked) and a CGO_ENABLED=0 wazero CLI, so that
# static can be compared with static.
#
# Three modules: a small C hello, a Go hello (~2.6 MB) and a generated
# C program of ~22 MB (testdata/guests/bench/big/gen.go -n 11000, clang -O1).
#
# It prints a markdown table on stdout and keeps hyperfine's JSON and
# markdown exports under bench/results/<UTC time>/. Each case runs ROUNDS
# hyperfine rounds of both tools, swapping which goes first, and reports the
# median of every run: on a shared machine that is steadier than a mean.
#
# Needs: go, hyperfine, jq; clang (wasm32-wasi, Debian's clang lld wasi-libc
# libclang-rt-dev-wasm32) only the first time, to build the big module,
# which is cached under bench/.build. Takes about 3-4 minutes on 2 cores.
#
# Environment: ROUNDS (default 3), BIG_N (functions in the big module,
# default 11000), CASES (default "c-hello go-hello big").
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
bench=$root/bench
bin=$bench/.bin
build=$bench/.build
out=$bench/results/$(date -u +%Y%m%dT%H%M%SZ)
caches=$(mktemp -d "${TMPDIR:-/tmp}/wasmhive-cli-start.XXXXXX")
trap 'rm -rf "$caches"' EXIT
mkdir -p "$bin" "$build" "$out"

wazero_version=v1.12.0
rounds=${ROUNDS:-3}
big_n=${BIG_N:-11000}
cases=${CASES:-c-hello go-hello big}

log() { echo "cli-start: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in go hyperfine jq; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done

# --- tools -----------------------------------------------------------------
if [[ "$("$bin/wazero" version 2>/dev/null)" != "$wazero_version" ]]; then
	log "installing the wazero CLI $wazero_version into $bin"
	GOBIN=$bin go install "github.com/tetratelabs/wazero/cmd/wazero@$wazero_version"
fi
if [[ "$("$bin/static/wazero" version 2>/dev/null)" != "$wazero_version" ]]; then
	log "installing a static wazero CLI $wazero_version into $bin/static"
	CGO_ENABLED=0 GOBIN=$bin/static go install "github.com/tetratelabs/wazero/cmd/wazero@$wazero_version"
fi
wazero=$bin/wazero
wazero_static=$bin/static/wazero
log "building wasmhive"
# The release build (static, pure Go) is the figure; the default build (cgo
# on, dynamically linked) is measured in the warm cases only.
CGO_ENABLED=0 go build -o "$build/wasmhive" ./cmd/wasmhive
go build -o "$build/wasmhive-default" ./cmd/wasmhive
wasmhive=$build/wasmhive
wasmhive_default=$build/wasmhive-default

# --- modules ---------------------------------------------------------------
module_path() {
	case $1 in
	c-hello) echo "$root/testdata/guests/bench/hello.wasm" ;;
	go-hello)
		GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -o "$build/gohello.wasm" ./testdata/guests/bench/gohello
		echo "$build/gohello.wasm"
		;;
	big)
		local gen=$root/testdata/guests/bench/big/gen.go
		local key
		key=$(cat "$gen" <(echo "$big_n") | sha256sum | cut -c1-12)
		local wasm=$build/big-$big_n-$key.wasm
		if [[ ! -f $wasm ]]; then
			command -v clang >/dev/null || die "clang is needed once to build the big module"
			log "generating and compiling the big module ($big_n functions; takes a few minutes, once)"
			go run "$gen" -n "$big_n" >"$build/big.c"
			clang --target=wasm32-wasi -O1 -o "$wasm.tmp" "$build/big.c"
			mv "$wasm.tmp" "$wasm"
		fi
		echo "$wasm"
		;;
	*) die "unknown case $1" ;;
	esac
}

# runs CASE: hyperfine runs per round, warm then cold.
runs_for() {
	case $1 in
	c-hello) echo "40 20" ;;
	go-hello) echo "15 4" ;;
	big) echo "8 2" ;;
	esac
}

{
	echo "date: $(date -u +%FT%TZ)"
	echo "host: $(uname -srm), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "go: $(go version)"
	echo "wazero CLI: $("$wazero" version)"
	echo "wasmhive: $("$wasmhive" version 2>&1 | head -1), binary $(stat -c %s "$wasmhive") bytes (default build: $(stat -c %s "$wasmhive_default")); wazero binary $(stat -c %s "$wazero") bytes (static: $(stat -c %s "$wazero_static"))"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$out/env.txt"

rows=()
for c in $cases; do
	wasm=$(module_path "$c")
	size=$(stat -c %s "$wasm")
	whc=$caches/$c-wasmhive # XDG_CACHE_HOME of wasmhive
	wzc=$caches/$c-wazero   # -cachedir of wazero
	export XDG_CACHE_HOME=$whc
	wh_cmd="$wasmhive run $wasm"
	whd_cmd="$wasmhive_default run $wasm"
	wz_cmd="$wazero run -cachedir $wzc $wasm"
	wzs_cmd="$wazero_static run -cachedir $wzc $wasm"

	# Both must run the module and print the same thing.
	wh_out=$($wh_cmd) || die "$c: wasmhive failed"
	wz_out=$($wz_cmd) || die "$c: wazero failed"
	[[ -n $wh_out && $wh_out == "$wz_out" ]] || die "$c: outputs differ: wasmhive '$wh_out', wazero '$wz_out'"

	read -r warm_runs cold_runs < <(runs_for "$c")
	for mode in warm cold; do
		if [[ $mode == warm ]]; then
			runs=$warm_runs
			opts=(--warmup 3)
		else
			runs=$cold_runs
			opts=()
		fi
		for ((r = 1; r <= rounds; r++)); do
			log "$c $mode round $r/$rounds"
			wh=(-n wasmhive "$wh_cmd")
			wz=(-n wazero "$wz_cmd")
			wh_prep=(--prepare "rm -rf $whc")
			wz_prep=(--prepare "rm -rf $wzc")
			extra=()
			[[ $mode == cold ]] || extra=(-n wasmhive-default "$whd_cmd" -n wazero-static "$wzs_cmd")
			if ((r % 2 == 1)); then
				order=("${wh[@]}" "${extra[@]}" "${wz[@]}")
				prep=("${wh_prep[@]}" "${wz_prep[@]}")
			else
				order=("${wz[@]}" "${extra[@]}" "${wh[@]}")
				prep=("${wz_prep[@]}" "${wh_prep[@]}")
			fi
			[[ $mode == cold ]] || prep=()
			hyperfine -N --style none --runs "$runs" "${opts[@]}" "${prep[@]}" \
				--export-json "$out/$c-$mode-$r.json" --export-markdown "$out/$c-$mode-$r.md" \
				"${order[@]}" >"$out/$c-$mode-$r.txt" 2>&1 ||
				die "$c $mode: hyperfine failed (see $out/$c-$mode-$r.txt)"
		done
		# Median and min of all runs of every round, mean CPU time (user+sys).
		row=$(jq -rs --arg c "$c" --arg mode "$mode" --arg size "$size" '
			def med: sort | if length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end;
			def ms: . * 1000 | (. * 100 | round) / 100;
			[.[].results[]] | group_by(.command) | map({key: .[0].command, value: {
				med: ([.[].times[]] | med), min: ([.[].times[]] | min),
				cpu: ((map(.user + .system) | add) / length), n: ([.[].times[]] | length)}}) | from_entries
			| "| \($c) | \($size | tonumber / 1048576 * 100 | round / 100) MB | \($mode) | \(.wasmhive.med | ms) | \(.wazero.med | ms) | \((.wasmhive.med / .wazero.med * 100 | round) / 100) | \(.wasmhive.min | ms) / \(.wazero.min | ms) | \(.wasmhive.cpu | ms) / \(.wazero.cpu | ms) | \(if .["wasmhive-default"] then "\(.["wasmhive-default"].med | ms) (\((.["wasmhive-default"].med / .wazero.med * 100 | round) / 100))" else "-" end) | \(if .["wazero-static"] then "\(.["wazero-static"].med | ms) (\((.wasmhive.med / .["wazero-static"].med * 100 | round) / 100))" else "-" end) | \(.wasmhive.n) |"
		' "$out/$c-$mode-"*.json)
		rows+=("$row")
		echo "$row" >&2
	done
done

{
	echo "CLI start-up, wasmhive vs wazero CLI $wazero_version (times in ms; median of all runs; $rounds rounds alternating order)"
	echo
	echo "| module | size | cache | wasmhive | wazero | wasmhive/wazero | min wasmhive / wazero | CPU (user+sys) wasmhive / wazero | wasmhive default build (/wazero) | wazero static (wasmhive/it) | runs each |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	sed 's/^/    /' "$out/env.txt"
} | tee "$out/summary.md"
log "results in ${out#"$root"/}"

#!/usr/bin/env bash
# Builds and runs one libFuzzer target for a parser that reads user files.
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]      TARGET: nifti niftigz npy mrc safetensors json notebook
#   scripts/fuzz.sh list | build TARGET
# The harnesses are in Fuzz/. nifti, niftigz, npy and mrc compile LiTSCore's sources with the
# harness into one module (with -sanitize=fuzzer,address, so the parsers are coverage-guided and
# checked by ASan); safetensors compiles LiTSNet's safetensors parser and Tensor the same way;
# json links the SwiftPM debug build of LiTSTraining and what it needs (`swift build` first; only
# the harness is instrumented: JSONDecoder is Foundation's) and decodes the tool's config types.
# notebook compiles the notebook Markdown parser (LiTSRender/MarkdownNotebook.swift) with
# LiTSCore and checks that stored outputs read back as the same cells and outputs.
# Seeds: Fuzz/corpus/TARGET (committed, small); the growing corpus, crashes and binaries go to
# .build/fuzz/. Exit status: 0 when no crash, non-zero (and the crash input's path) otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=.build/fuzz
TARGETS="nifti niftigz npy mrc safetensors json notebook"
[ $# -ge 1 ] || { echo "usage: $0 TARGET SECONDS [libFuzzer options] | list | build TARGET" >&2; exit 2; }
if [ "$1" = list ]; then echo $TARGETS; exit 0; fi
mode=run
if [ "$1" = build ]; then mode=build; shift; fi
target=$1; seconds=${2:-10}; shift; [ $# -gt 0 ] && shift
case " $TARGETS " in *" $target "*) ;; *) echo "unknown fuzz target '$target' (one of: $TARGETS)" >&2; exit 2;; esac

mkdir -p "$OUT/modulemaps" "$OUT/crashes" "$OUT/corpus-$target"
cat > "$OUT/modulemaps/module.modulemap" <<MAP
module CNIfTI [system] { header "$ROOT/Sources/CNIfTI/include/CNIfTI.h" export * }
module zlib [system] { header "/usr/include/zlib.h" link "z" export * }
MAP

SAN="-sanitize=fuzzer,address"
FLAGS=(-O -parse-as-library -swift-version 5 -I "$OUT/modulemaps" -I Sources/CNIfTI/include -Xcc -I -Xcc Sources/CNIfTI/include)
# Every LiTSCore source, its sub-folders (Layouts/) included.
core_sources() { find Sources/LiTSCore -name "*.swift" | LC_ALL=C sort; }
harness_support=Fuzz/Support.swift
compile=()
case $target in
  nifti)       sources=("$(core_sources)" Fuzz/NIfTIFuzz.swift $harness_support); libs=(-lnifti2 -lznz -lz -lm); module=LiTSCore ;;
  niftigz)     sources=("$(core_sources)" Fuzz/NIfTIGzipFuzz.swift $harness_support); libs=(-lnifti2 -lznz -lz -lm); module=LiTSCore ;;
  npy)         sources=("$(core_sources)" Fuzz/NPYFuzz.swift $harness_support); libs=(-lnifti2 -lznz -lz -lm); module=LiTSCore ;;
  mrc)         sources=("$(core_sources)" Fuzz/MRCFuzz.swift $harness_support); libs=(-lnifti2 -lznz -lz -lm); module=LiTSCore ;;
  safetensors)
    # The parser and Tensor only: each Safetensors*.swift up to its `extension Module` (state
    # dicts, which need the whole network) keeps this target free of BLAS and the kernels.
    mkdir -p "$OUT/safetensors-src"; rm -f "$OUT"/safetensors-src/*.swift
    # One module with LiTSCore's sources (Safetensors writes through AtomicFile), so its import goes.
    for f in Sources/LiTSNet/Safetensors*.swift; do
      awk '/^extension Module/ { exit } /^import LiTSCore/ { next } { print }' "$f" > "$OUT/safetensors-src/$(basename "$f")"
    done
    grep -v '^import LiTSCore' Sources/LiTSNet/Tensor.swift > "$OUT/safetensors-src/Tensor.swift"
    sources=($(ls Sources/LiTSNet/Safetensors*.swift) Sources/LiTSNet/Tensor.swift Sources/LiTSNet/SHA256.swift $(core_sources) Fuzz/SafetensorsFuzz.swift $harness_support)
    compile=($(ls "$OUT"/safetensors-src/*.swift) Sources/LiTSNet/SHA256.swift $(core_sources) Fuzz/SafetensorsFuzz.swift $harness_support)
    libs=(-lnifti2 -lznz -lz -lm); module=LiTSNet ;;
  json)        sources=(Fuzz/JSONFuzz.swift); module=FuzzJSON ;;
  notebook)
    # The notebook Markdown parser compiled into one module with LiTSCore's sources (its
    # errors and AtomicFile), so its `import LiTSCore` goes; the rest of LiTSRender (libpng) stays out.
    mkdir -p "$OUT/notebook-src"
    grep -v '^import LiTSCore' Sources/LiTSRender/MarkdownNotebook.swift > "$OUT/notebook-src/MarkdownNotebook.swift"
    sources=(Sources/LiTSRender/MarkdownNotebook.swift $(core_sources) Fuzz/NotebookFuzz.swift)
    compile=("$OUT/notebook-src/MarkdownNotebook.swift" $(core_sources) Fuzz/NotebookFuzz.swift)
    libs=(-lnifti2 -lznz -lz -lm); module=LiTSRender ;;
esac
# shellcheck disable=SC2206
sources=(${sources[*]})
[ ${#compile[@]} -gt 0 ] || compile=("${sources[@]}")
bin="$OUT/$target"
stale=1
if [ -x "$bin" ]; then
  stale=0
  for f in "${sources[@]}" "$0"; do [ "$f" -nt "$bin" ] && stale=1; done
  if [ $target = json ] && [ .build/debug/LiTSTraining.build -nt "$bin" ]; then stale=1; fi
fi
if [ $stale = 1 ]; then
  echo "fuzz: building $bin"
  rm -f "$bin"
  build_rc=0
  if [ $target = json ]; then
    [ -d .build/debug/Modules ] || { echo "fuzz json: run 'swift build' first (it links the debug build)" >&2; exit 2; }
    objs=()
    # Every target LiTSTraining links, C kernel targets included: a new one missing here fails the link.
    for t in LiTSCore LiTSImaging LiTSNet LiTSRender LiTSConvKernels LiTSConvKernelsAVX2 CBF16Kernels CInt8Kernels CInt8KernelsAVXVNNI LiTSInference LiTSAnalysis LiTSEvaluation LiTSTraining CNIfTI; do
      [ -d .build/debug/$t.build ] || continue
      # Only objects whose source still exists (an incremental build keeps those of moved files).
      for o in $(find .build/debug/$t.build -name '*.o'); do
        src=$(basename "$o" .o)
        case $src in *.swift) [ -n "$(find Sources/$t -name "$src" -print -quit)" ] || continue;; esac
        objs+=("$o")
      done
    done
    maps=()
    for m in .build/debug/*.build/module.modulemap Sources/CPNG/module.modulemap Sources/COpenBLAS/module.modulemap Sources/CCairo/module.modulemap; do
      case $m in *COpenBLAS.build*|*CPNG.build*) continue;; esac
      maps+=(-Xcc -fmodule-map-file=$m)
    done
    swiftc -sanitize=fuzzer -parse-as-library -swift-version 5 -module-name $module -I .build/debug/Modules \
      "${maps[@]}" -Xcc -I/usr/include/libpng16 $(pkg-config --cflags-only-I cairo | sed 's/-I/-Xcc -I/g') -I Sources/CNIfTI/include -Xcc -I -Xcc Sources/CNIfTI/include \
      "${sources[@]}" "${objs[@]}" -lnifti2 -lznz -lz -lm -lpng16 -lcairo -lopenblas -o "$bin" > "$OUT/$target.build.log" 2>&1 || build_rc=$?
  else
    swiftc $SAN "${FLAGS[@]}" -module-name $module "${compile[@]}" "${libs[@]}" -o "$bin" > "$OUT/$target.build.log" 2>&1 || build_rc=$?
  fi
  grep -v "ld.gold: warning" "$OUT/$target.build.log" | grep -E "error" >&2 || true
  [ $build_rc = 0 ] && [ -x "$bin" ] || { rm -f "$bin"; echo "fuzz: building $target failed (see $OUT/$target.build.log)" >&2; exit 1; }
fi
[ $mode = build ] && exit 0

max_len=4096
case $target in nifti|niftigz) max_len=16384;; safetensors) max_len=8192;; esac
# Swift's crash backtracer takes seconds per crash and leaks checks flag the runtime's caches.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
set +e
"$bin" "$OUT/corpus-$target" Fuzz/corpus/$target -max_total_time="$seconds" -max_len=$max_len \
  -timeout=20 -rss_limit_mb=3072 -malloc_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
  -artifact_prefix="$OUT/crashes/$target-" "$@" 2>&1 | tee "$OUT/$target.log" | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|SUMMARY|Test unit written|stat::number_of_executed_units|deadly signal|Fatal error|Precondition failed" 
status=${PIPESTATUS[0]}
set -e
execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$OUT/$target.log" | awk '{print $2}' | tail -1)
echo "fuzz $target: ${execs:-?} executions in ${seconds}s, exit $status"
exit $status

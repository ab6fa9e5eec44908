#!/usr/bin/env bash
# Hand-made mutants of hv/ and toolstack/builder/: applies each patch of this folder to a fresh
# copy of the tree (tracked and untracked files, node_modules linked) and runs a plain
#   xen-memsim check --xen V --time T      (or --runs N: a budget that does not depend on the load)
# there (V from the patch's "# xen:" line), then the same command on the unmutated copy for each
# version used (the control: it must find nothing). Prints one line per mutant and the catch rate.
#
# usage: prop-tests/campaign/mutants/run.sh [--time SECONDS | --runs N] [--jobs N] [--seed N] [--tree DIR] [--no-control] [PATCH ...]
#   --time   search budget of each check (default 60, as the issue's done-when)
#   --runs   a budget in runs instead (the same runs on every machine, however loaded)
#   --jobs   mutants checked at once (default 1; the machine has 2 cores)
#   --seed   campaign seed (default: check's own default)
#   --tree   the tree to mutate (default: this repository; e.g. a frozen copy to measure "before")
# Exit 0 when every mutant was caught and no control reported anything, else 1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
time_s=60
budget=()
jobs=1
seed=()
control=1
patches=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_s=$2; shift 2 ;;
    --runs) budget=(--runs "$2"); time_s=$(( $2 / 20 + 30 )); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --seed) seed=(--seed "$2"); shift 2 ;;
    --tree) repo=$(cd "$2" && pwd); shift 2 ;;
    --no-control) control=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) patches+=("$1"); shift ;;
  esac
done
[ ${#patches[@]} -eq 0 ] && patches=("$here"/*.patch)
[ ${#budget[@]} -eq 0 ] && budget=(--time "$time_s")
work=$(mktemp -d /tmp/xen-memsim-mutants.XXXXXX)
trap 'rm -rf "$work"' EXIT

# A copy of the tree as it is (no .git, no node_modules: linked).
copy_tree() {
  local dst=$1
  mkdir -p "$dst"
  if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$repo" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$dst" 2>/dev/null)
  else
    tar -C "$repo" --exclude=./node_modules --exclude=./.git --exclude=./out -cf - . | tar -C "$dst" -xf -
  fi
  ln -s "$(readlink -f "$repo/node_modules")" "$dst/node_modules"
}

# check_one NAME DIR XEN → writes "$work/NAME.result": "<exit> <seconds> <first failure line>"
check_one() {
  local name=$1 dir=$2 xen=$3 t0 rc line
  t0=$(date +%s)
  (cd "$dir" && timeout $((time_s * 4 + 180)) node cli/bin.mjs check --xen "$xen" "${budget[@]}" "${seed[@]}" \
      --out "$dir/failure.jsonl" >"$dir/check.out" 2>/dev/null)
  rc=$?
  line=$(grep -m1 -E '^  (property|invariant|hv-crash|actor-error|step-limit|stuck):' "$dir/check.out" | sed 's/^  //')
  local shrunk
  shrunk=$(grep -m1 -oE 'shrunk from [0-9]+ to [0-9]+' "$dir/check.out")
  echo "$rc $(( $(date +%s) - t0 )) ${shrunk:+[$shrunk] }${line:0:150}" >"$work/$name.result"
}

run_mutant() {
  local patch=$1 name xen dir
  name=$(basename "$patch" .patch)
  xen=$(sed -n 's/^# xen: *//p' "$patch" | head -1)
  dir="$work/$name"
  copy_tree "$dir"
  if ! (cd "$dir" && patch -p1 -s --no-backup-if-mismatch <"$patch" >/dev/null 2>&1); then
    echo "9 0 patch does not apply" >"$work/$name.result"
    return
  fi
  check_one "$name" "$dir" "${xen:-4.22}"
  rm -rf "$dir"
}

versions=$(for p in "${patches[@]}"; do sed -n 's/^# xen: *//p' "$p" | head -1; done | sort -u)
echo "mutants: ${#patches[@]}, check ${budget[*]} ${seed[*]}, jobs $jobs, versions: $(echo $versions)"
running=0
for p in "${patches[@]}"; do
  run_mutant "$p" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

caught=0
total=0
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  read -r rc secs rest <"$work/$name.result"
  total=$((total + 1))
  case "$rc" in
    1) caught=$((caught + 1)); verdict=caught ;;
    0) verdict=MISSED ;;
    9) verdict=NO-APPLY ;;
    *) verdict="ERROR($rc)" ;;
  esac
  printf '%-40s %-9s %4ss  %s\n' "$name" "$verdict" "$secs" "$rest"
done
echo "caught $caught of $total ($(( total > 0 ? caught * 100 / total : 0 )) %)"

clean=1
if [ "$control" -eq 1 ]; then
  for v in $versions; do
    dir="$work/control-$v"
    copy_tree "$dir"
    check_one "control-$v" "$dir" "$v"
    read -r rc secs rest <"$work/control-$v.result"
    if [ "$rc" -eq 0 ]; then echo "control $v: clean (${secs}s)"; else clean=0; echo "control $v: REPORTED ($rc) $rest"; fi
  done
fi
[ "$caught" -eq "$total" ] && [ "$clean" -eq 1 ]

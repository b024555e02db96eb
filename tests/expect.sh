# Shared by the shell tests: `expect WHAT COMMAND...` runs a check and says
# ok or FAILED; `finish` prints CTest's closing line and fails if any did.
failures=0
expect() {
  local what="$1"
  shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; failures=$((failures + 1)); fi
}
finish() {
  echo "$((failures == 0 ? 1 : 0)) passed, $((failures == 0 ? 0 : 1)) failed"
  [ "$failures" -eq 0 ]
}

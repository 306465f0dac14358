#!/bin/bash
# netbpf's test runner: unit tests (cmocka, TAP output), then the end-to-end
# scripts in tests/e2e/. A script prints one line per check:
#   PASS name | FAIL name: why | SKIP name: why | NA name: why
# With NETBPF_REQUIRE_BPF=1 (CI) a skipped check counts as a failure. NA is
# a path this kernel cannot carry at all (no SCTP here): skipped, with its
# reason, whatever NETBPF_REQUIRE_BPF says, as it is no BPF test.
# The last line is "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.." || exit 1
out=.output/tests
pass=0 fail=0 skip=0
only=${1:-all}

result() {	# KIND NAME-AND-REASON
	case "$1" in
	PASS) pass=$((pass + 1)); echo "PASS $2" ;;
	FAIL) fail=$((fail + 1)); echo "FAIL $2" ;;
	NA) skip=$((skip + 1)); echo "SKIP $2 (not applicable on this kernel)" ;;
	SKIP)
		if [ "${NETBPF_REQUIRE_BPF:-0}" = 1 ]; then
			fail=$((fail + 1)); echo "FAIL $2 (skipped, but NETBPF_REQUIRE_BPF=1)"
		else
			skip=$((skip + 1)); echo "SKIP $2"
		fi ;;
	esac
}

for t in "$out"/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	lines=$(CMOCKA_MESSAGE_OUTPUT=tap "$t" 2>&1)
	rc=$?
	n=0
	while read -r line; do
		case "$line" in
		"ok "*) result PASS "$name: ${line#ok * - }"; n=$((n + 1)) ;;
		"not ok "*) result FAIL "$name: ${line#not ok * - }"; n=$((n + 1)) ;;
		esac
	done <<<"$lines"
	if [ $n -eq 0 ] || { [ $rc -ne 0 ] && ! grep -q '^not ok' <<<"$lines"; }; then
		result FAIL "$name: exited $rc"
		printf '%s\n' "$lines" | sed 's/^/    /' | tail -20
	elif [ $rc -ne 0 ]; then
		printf '%s\n' "$lines" | grep -v '^ok' | sed 's/^/    /' | tail -40
	fi
done

if [ "$only" != --unit ]; then
	for s in tests/e2e/*.sh; do
		[ "$(basename "$s")" = lib.sh ] && continue
		name=$(basename "$s" .sh)
		log=$(mktemp)
		timeout 600 bash "$s" >"$log" 2>&1
		rc=$?
		n=0
		while read -r kind rest; do
			case "$kind" in
			PASS|FAIL|SKIP|NA) result "$kind" "$name: $rest"; n=$((n + 1)) ;;
			esac
		done <"$log"
		if [ $rc -ne 0 ] || [ $n -eq 0 ] || grep -q '^FAIL' "$log"; then
			[ $n -eq 0 ] || [ $rc -eq 0 ] || result FAIL "$name: script exited $rc"
			[ $n -eq 0 ] && result FAIL "$name: exited $rc with no result"
			sed 's/^/    | /' "$log" | tail -40
		fi
		rm -f "$log"
	done
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]

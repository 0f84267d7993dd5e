#!/usr/bin/env bash
# The HTML report, rendered by a real browser: the example units (and one
# whose name is an attempt at markup injection) are assessed against all
# standards on a real stack, `assay report` writes the page, and headless
# Chromium (Debian's chromium, installed by scripts/bootstrap --with report)
# loads it offline. Checks: no console message and no error or blocked load
# recorded by the page, one heatmap cell per unit x top-level clause and one
# radar per unit x standard (counted in the DOM Chromium built, expected
# from `assay results --format json`), no injected element, and a non-empty
# PNG screenshot.
source "$(dirname "$0")/lib.sh"
cd "$ASSAY_SOURCE_DIR"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[[ -n $CHROMIUM ]] ||
  fail "chromium is not installed: run scripts/bootstrap --with report (make test does)"
log "browser: $("$CHROMIUM" --version 2>/dev/null | head -n 1)"

# Headless, as root in CI (no sandbox), its own profile and caches in the
# test's folder, no GPU, no /dev/shm (small in containers).
chromium() {
  XDG_CONFIG_HOME="$WORK/xdg" XDG_CACHE_HOME="$WORK/xdg-cache" \
    timeout 300 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$WORK/chromium-profile" --no-first-run --no-default-browser-check \
    --disable-extensions --hide-scrollbars "$@"
}

stack_start 2
units="$WORK/units"
mkdir -p "$units"
cp examples/units/*.json "$units/"
# A unit whose name and id-adjacent text try to break out of the markup.
python3 - "$units/medtech-lyon-audit-overdue.json" "$units/zz-hostile.json" <<'PY'
import json, sys
bundle = json.load(open(sys.argv[1]))
bundle["unit"]["id"] = "zz-hostile"
bundle["unit"]["name"] = "</title></svg><script>document.title='pwned'</script><img src=x onerror=alert(1)> & \"quotes\""
bundle["unit"]["org"] = "<b>org</b>"
json.dump(bundle, open(sys.argv[2], "w"))
PY
count=$(ls "$units"/*.json | wc -l)

log "submit $count units against all standards and wait"
rc=0
assay submit "$units" --standard all --batch report --wait --timeout 300 >/dev/null || rc=$?
assert_eq "$rc" 0 "exit code of submit --wait"

log "write the report"
assay report --help >/dev/null || fail "assay report --help failed"
html="$WORK/report.html"
rc=0
assay report report --html "$html" 2>"$WORK/report.err" || rc=$?
assert_eq "$rc" 0 "exit code of assay report"
[[ -s $html ]] || fail "no report written"
head -c 15 "$html" | grep -q '<!DOCTYPE html>' || fail "the report does not start with <!DOCTYPE html>"
ls "$WORK"/report.html.tmp-* >/dev/null 2>&1 && fail "a temporary file was left behind"
log "report: $(wc -c <"$html") bytes"

rc=0
assay report no-such-batch --html "$WORK/none.html" 2>/dev/null || rc=$?
assert_eq "$rc" 4 "exit code of assay report for an unknown batch"
[[ ! -e $WORK/none.html ]] || fail "a report was written for an unknown batch"

# What the page must show, from the results themselves: a cell per unit x
# top-level clause of each assessment, a radar per assessment.
assay results report --format json | tail -n 1 >"$WORK/results.json"
read -r expected_cells expected_radars < <(python3 - "$WORK/results.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
latest = {}
for a in doc["assessments"]:
    latest[(a["unit"], a["standard"])] = a
cells = sum(1 for a in latest.values() for c in a["clauses"] if c.get("parent") is None)
print(cells, len(latest))
PY
)
((expected_cells > 0)) || fail "the results have no top-level clauses"
log "expected: $expected_cells heatmap cells, $expected_radars radars"

log "render with headless Chromium (DOM)"
rc=0
chromium --enable-logging=stderr --v=0 --dump-dom "file://$html" \
  >"$WORK/dom.html" 2>"$WORK/chromium.log" || rc=$?
assert_eq "$rc" 0 "exit code of chromium --dump-dom"
[[ -s $WORK/dom.html ]] || fail "chromium dumped no DOM"
# Console messages of the page come as INFO:CONSOLE lines; it writes none,
# so any (an error, a warning, a blocked load) fails the test.
if grep -E ':CONSOLE(\(|:|\])' "$WORK/chromium.log" >"$WORK/console.log"; then
  cat "$WORK/console.log" >&2
  fail "the page wrote to the browser console"
fi
log "ok: no console messages"

python3 - "$WORK/dom.html" "$expected_cells" "$expected_radars" <<'PY' || fail "the rendered DOM is not what was expected"
import sys
from html.parser import HTMLParser

dom_file, expected_cells, expected_radars = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.root = None
        self.cells = []
        self.radars = 0
        self.heatmaps = 0
        self.scripts = 0
        self.imgs = 0
        self.external = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html" and self.root is None:
            self.root = a
        classes = (a.get("class") or "").split()
        if tag == "rect" and "cell" in classes:
            self.cells.append(a)
        if tag == "svg" and "radar" in classes:
            self.radars += 1
        if tag == "svg" and "heatmap" in classes:
            self.heatmaps += 1
        if tag == "script":
            self.scripts += 1
        if tag in ("img", "iframe", "object", "embed"):
            self.imgs += 1
        for name in ("src", "href", "action"):
            value = a.get(name)
            if value and not (value.startswith("#") or value == "data:,"):
                self.external.append((tag, name, value))

page = Page()
page.feed(open(dom_file, encoding="utf-8").read())
problems = []
if page.root is None:
    problems.append("no <html> element")
else:
    if page.root.get("data-errors"):
        problems.append("errors recorded by the page: %r" % page.root["data-errors"])
    if page.root.get("data-loaded") != str(expected_cells):
        problems.append("the page's own count of cells after load: %r, expected %d"
                        % (page.root.get("data-loaded"), expected_cells))
if len(page.cells) != expected_cells:
    problems.append("%d heatmap cells, expected %d" % (len(page.cells), expected_cells))
keys = {(c.get("data-unit"), c.get("data-standard"), c.get("data-clause")) for c in page.cells}
if len(keys) != len(page.cells):
    problems.append("duplicate heatmap cells")
if any(None in k for k in keys):
    problems.append("a cell lacks data-unit, data-standard or data-clause")
if page.radars != expected_radars:
    problems.append("%d radar charts, expected %d" % (page.radars, expected_radars))
if page.scripts != 1:
    problems.append("%d script elements, expected only the page's own" % page.scripts)
if page.imgs:
    problems.append("%d img/iframe/object/embed elements (injected?)" % page.imgs)
if page.external:
    problems.append("links or sources leaving the page: %r" % page.external[:5])
if not any(c.get("data-unit") == "zz-hostile" for c in page.cells):
    problems.append("the unit with markup in its name has no cells")
for p in problems:
    print("test_report: " + p, file=sys.stderr)
print("test_report: %d cells, %d radars, %d heatmaps" % (len(page.cells), page.radars, page.heatmaps),
      file=sys.stderr)
sys.exit(1 if problems else 0)
PY
grep -q "<title>Assay report: report</title>" "$WORK/dom.html" ||
  fail "the document title changed (injected script ran?)"
grep -qF '&lt;/title&gt;&lt;/svg&gt;&lt;script&gt;' "$WORK/dom.html" ||
  fail "the hostile unit name is not shown as text"
log "ok: $expected_cells heatmap cells, $expected_radars radars, nothing injected, no errors"

log "screenshot"
shot="$WORK/report.png"
rc=0
chromium --window-size=1400,2400 --screenshot="$shot" "file://$html" \
  >"$WORK/shot.out" 2>"$WORK/shot.log" || rc=$?
assert_eq "$rc" 0 "exit code of chromium --screenshot"
[[ -s $shot ]] || fail "no screenshot written"
[[ $(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
  fail "the screenshot is not a PNG"
log "ok: screenshot $(wc -c <"$shot") bytes"

log "report to stdout"
assay report report >"$WORK/stdout.html" 2>/dev/null || fail "assay report to stdout failed"
assert_eq "$(grep -o '<rect class="cell' "$WORK/stdout.html" | wc -l)" "$expected_cells" \
  "heatmap cells in the report on stdout"
# Passed: keep the report and its screenshot, drop the bulk.
rm -rf "$WORK/chromium-profile" "$WORK/xdg" "$WORK/xdg-cache" "$WORK/dom.html" \
  "$WORK/stdout.html" "$WORK/results.json" "$WORK/units"
log "passed (report and screenshot kept: $html, $shot)"

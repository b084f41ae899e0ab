"""Checks of what `peerlog report` writes, for tests/integration/report.sh.

  report_check.py page HTML PIDS LINT_JSON   the page as written
  report_check.py dom DOM PIDS LINT_JSON     the page as Chromium rendered it
  report_check.py md SUMMARY LINT_JSON       summary.md
  report_check.py png PNG WIDTH HEIGHT       a screenshot that is not blank

PIDS: comma-separated pids of every traced process. LINT_JSON: the output
of `peerlog lint --json`. Says what is wrong on stderr and exits 1.
Python's standard library only.
"""
import html.parser
import json
import re
import struct
import sys
import zlib

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


def fail(msg):
    sys.stderr.write("report_check: %s\n" % msg)
    sys.exit(1)


class Page(html.parser.HTMLParser):
    """Tag balance, external references, and the text of the sections,
    the graph's nodes and the findings' rows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.refs = []
        self.section = None
        self.text = {}          # section id -> its text
        self.svgs = {}          # section id -> number of <svg>
        self.nodes = []         # text of each graph node
        self.node_depth = None  # depth of the open graph node
        self.rows = []          # findings' table rows, as text
        self.row = None
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "srcset", "action",
                     "formaction", "poster", "data") and v is not None \
                    and not v.startswith("#"):
                self.refs.append("%s=%s" % (k, v))
            if k == "style" and v and re.search(r"url\((?!#)", v):
                self.refs.append("style url: %s" % v)
        if tag == "script":
            self.scripts += 1
        if tag in ("link", "iframe", "object", "embed", "img", "audio",
                   "video", "image", "use", "base"):
            self.refs.append("<%s>" % tag)
        if tag == "section":
            self.section = a.get("id")
            self.text.setdefault(self.section, "")
        if tag == "svg" and self.section:
            self.svgs[self.section] = self.svgs.get(self.section, 0) + 1
        if tag == "g" and "node" in (a.get("class") or "").split() and \
                self.section == "topology":
            self.node_depth = len(self.stack)
            self.nodes.append("")
        if tag == "tr" and self.section == "findings":
            self.row = ""
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (
                tag, self.stack[-1] if self.stack else "nothing"))
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "g" and self.node_depth == len(self.stack):
            self.node_depth = None
        if tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        if tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.section:
            self.text[self.section] += data
        if self.node_depth is not None:
            self.nodes[-1] += " " + data
        if self.row is not None:
            self.row += " " + data


def parse(path, raw_css=True):
    data = open(path, "rb").read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        fail("%s is not valid UTF-8: %s" % (path, e))
    p = Page()
    p.feed(text)
    p.close()
    return p, text


def findings(lint_json):
    # peerlog's JSON carries the journal's bytes: a name need not be UTF-8
    raw = open(lint_json, "rb").read().decode("utf-8", "replace")
    return json.loads(raw)["findings"]


def check_common(p, text, pids, lint, what):
    for sec in ("findings", "topology", "processes", "pairs", "check"):
        if sec not in p.text:
            fail("%s: no section '%s'" % (what, sec))
    if p.svgs.get("topology", 0) != 1:
        fail("%s: the topology section holds %d <svg>" % (
            what, p.svgs.get("topology", 0)))
    for pid in pids:
        if not any(re.search(r"\b%s\b" % pid, n) for n in p.nodes):
            fail("%s: no graph node for pid %s (nodes: %s)" % (
                what, pid, p.nodes))
        if not re.search(r"\b%s\b" % pid, p.text["processes"]):
            fail("%s: pid %s is not in the process tree" % (what, pid))
    if len(p.nodes) != len(pids):
        fail("%s: %d graph nodes for %d processes: %s" % (
            what, len(p.nodes), len(pids), p.nodes))
    rows = [r for r in p.rows if r.split() and r.split()[0] != "rule"]
    if len(rows) != len(lint):
        fail("%s: %d rows of findings, lint has %d" % (
            what, len(rows), len(lint)))
    for f in lint:
        want = [f["rule"], str(f["pid"]), "[%d]" % f["inode"], f["detail"]]
        if not any(all(w in r for w in want) for r in rows):
            fail("%s: finding %s not in %s" % (what, want, rows))
    if p.refs:
        fail("%s: refers to something outside the page: %s" % (
            what, p.refs))
    if re.search(r"@import|url\((?!#)", text):
        fail("%s: the CSS loads something" % what)


def page(path, pids, lint_json):
    p, text = parse(path)
    if p.errors:
        fail("%s: tags do not balance: %s" % (path, p.errors[:5]))
    if p.stack:
        fail("%s: left open: %s" % (path, p.stack))
    if p.scripts:
        fail("%s: has scripts" % path)
    if "no live check was possible" not in p.text["check"] and \
            "agrees" not in p.text["check"]:
        fail("%s: the check section says neither: %s" % (
            path, p.text["check"]))
    check_common(p, text, pids, findings(lint_json), path)


def dom(path, pids, lint_json):
    p, text = parse(path)
    check_common(p, text, pids, findings(lint_json), "rendered " + path)


def md(path, lint_json):
    text = open(path, encoding="utf-8").read()
    lint = findings(lint_json)
    if not re.search(r"^\| findings \| %d \|$" % len(lint), text, re.M):
        fail("%s: no count of findings" % path)
    for key in ("processes", "socketpairs", "pipes", "connections", "live check"):
        if not re.search(r"^\| %s \| \S" % key, text, re.M):
            fail("%s: no '%s' row" % (path, key))
    if not re.search(r"^```mermaid\ngraph LR\n(.*\n)+?```$", text, re.M):
        fail("%s: no mermaid block" % path)
    for f in lint:
        if not re.search(r"^\| %s \| %d \| " % (re.escape(f["rule"]), f["pid"]),
                         text, re.M):
            fail("%s: finding %s %d not listed" % (path, f["rule"], f["pid"]))
    if "<" in re.sub(r"```mermaid(.*?)```", "", text, flags=re.S):
        fail("%s: markup outside the mermaid block" % path)


def png_pixels(path):
    """Width, height and the RGB(A) rows of a non-interlaced 8-bit PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s: not a PNG" % path)
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        fail("%s: PNG format %d/%d/%d not read here" % (
            path, depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def png(path, want_w, want_h):
    w, h, bpp, rows = png_pixels(path)
    if (w, h) != (int(want_w), int(want_h)):
        fail("%s: %dx%d, not %sx%s" % (path, w, h, want_w, want_h))
    colours, red = set(), 0
    for line in rows[::4]:
        for x in range(0, w * bpp, bpp * 2):
            px = tuple(line[x:x + 3])
            colours.add(px)
            # the findings' and flagged ends' red (#c53030), antialiased
            if px[0] > 150 and px[1] < 90 and px[2] < 90:
                red += 1
    if len(colours) < 50:
        fail("%s: %d colours: a blank page?" % (path, len(colours)))
    if red < 20:
        fail("%s: no red: the findings are not drawn" % path)
    print("%dx%d, %d colours, %d red samples" % (w, h, len(colours), red))


def main(argv):
    if len(argv) >= 4 and argv[1] in ("page", "dom"):
        pids = [p for p in argv[3].split(",") if p]
        (page if argv[1] == "page" else dom)(argv[2], pids, argv[4])
    elif len(argv) == 4 and argv[1] == "md":
        md(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "png":
        png(argv[2], argv[3], argv[4])
    else:
        fail("usage: see the top of %s" % argv[0])


if __name__ == "__main__":
    main(sys.argv)

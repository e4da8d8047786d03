"""Marked sections of docs/RESULTS.md. Each results script owns the sections it writes, each between
`<!-- NAME:begin -->` and `<!-- NAME:end -->` lines, and replaces only those: everything else in the file
(the other scripts' sections, sections added by hand, text between them) is kept byte for byte and in its
place. A malformed file (a begin without its end, a name marked twice, nested markers) is refused rather
than guessed at, so a run never drops what another one wrote."""
import json
import os
import re

MARKER = re.compile(r"^<!-- ([A-Za-z0-9_-]+):(begin|end) -->$", re.M)


def begin(name):
    return "<!-- %s:begin -->" % name


def end(name):
    return "<!-- %s:end -->" % name


def sections(text):
    """The marked sections in file order: a list of (name, start, stop), text[start:stop] being the section
    from its begin line to the newline after its end line. ValueError for unbalanced or repeated markers."""
    found, open_name, open_at, seen = [], None, 0, set()
    for m in MARKER.finditer(text):
        name, kind = m.group(1), m.group(2)
        if kind == "begin":
            if open_name is not None:
                raise ValueError("RESULTS.md: section '%s' begins inside section '%s'" % (name, open_name))
            if name in seen:
                raise ValueError("RESULTS.md: section '%s' is marked twice" % name)
            open_name, open_at = name, m.start()
        else:
            if open_name != name:
                raise ValueError("RESULTS.md: '%s' ends without its begin marker" % end(name))
            stop = m.end() + (1 if text[m.end():m.end() + 1] == "\n" else 0)
            found.append((name, open_at, stop))
            seen.add(name)
            open_name = None
    if open_name is not None:
        raise ValueError("RESULTS.md: section '%s' has no end marker" % open_name)
    return found


def replace_section(text, name, body, at_start=False):
    """`text` with section `name` holding `body` (without markers): in its place when the file has it,
    otherwise first (at_start) or last."""
    section = begin(name) + "\n" + body.rstrip("\n") + "\n" + end(name) + "\n"
    for found, start, stop in sections(text):
        if found == name:
            return text[:start] + section + text[stop:]
    if at_start:
        return section + ("\n" + text if text.strip() else "")
    return (text.rstrip("\n") + "\n\n" if text.strip() else "") + section


def write_section(path, name, body, at_start=False):
    """Replaces section `name` of the file at `path` (created when missing), atomically."""
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    text = replace_section(text, name, body, at_start)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def cached_measurement(work, name):
    """A results script's cached measurement $work/NAME.json (one `cmstudio-cli ... --json` line), or None
    when it was not measured yet: the tables say "not measured" instead of failing."""
    path = os.path.join(work, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.loads(f.read())

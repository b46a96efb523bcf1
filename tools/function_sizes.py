#!/usr/bin/env python3
"""Lists the longest C++ function bodies under a folder (default: node/).

Usage: tools/function_sizes.py [--root node] [--most 20] [--over 120]

A function is a brace block at namespace or class scope whose header ends in a
parameter list (with optional qualifiers, trailing return type or constructor
initialiser list). Its size is the number of lines from the header line to
the closing brace. Lambdas and local classes count towards the enclosing
function. With --over N, exits 1 when any function is longer than N lines.
"""
import argparse
import os
import re
import sys


def strip(text):
    """Blanks comments, string and char literals, keeping newlines."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = ")" + m.group(1) + '"'
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # digit separator 1'000
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "#" and (i == 0 or text[i - 1] == "\n"):
            j = i
            while True:  # preprocessor line with continuations
                k = text.find("\n", j)
                if k < 0:
                    k = n
                    break
                if text[k - 1] != "\\":
                    break
                j = k + 1
            out.append(re.sub(r"[^\n]", " ", text[i:k]))
            i = k
        else:
            out.append(c)
            i += 1
    return "".join(out)


SCOPE_WORDS = re.compile(r"\b(namespace|class|struct|union|enum)\b")


def is_function_header(header):
    h = " ".join(header.split())
    if not h or "(" not in h:
        return False
    if re.match(r"^(namespace|class|struct|union|enum|extern)\b", h):
        return False
    if h.endswith("=") or re.search(r"=\s*$", h):
        return False
    # constructor initialiser list: "Foo(...) : a_(x), b_{y}" - keep the part
    # before a single ':' that follows the parameter list.
    return re.search(r"\)\s*(const|override|final|noexcept|mutable|&|&&|\s|->[^{]*|:.*)*$", h) is not None


def functions(path):
    text = strip(open(path, encoding="utf-8", errors="replace").read())
    results = []
    stack = []  # entries: "scope" or "other"
    header_start = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in ";}":
            if c == "}" and stack:
                stack.pop()
            header_start = i + 1
        elif c == "{":
            header = text[header_start:i]
            at_scope = all(s == "scope" for s in stack)
            if at_scope and is_function_header(header) and not SCOPE_WORDS.match(header.strip()):
                # find the matching brace
                depth, j = 0, i
                while j < n:
                    if text[j] == "{":
                        depth += 1
                    elif text[j] == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    j += 1
                hs = header_start + (len(header) - len(header.lstrip()))
                first = text.count("\n", 0, hs) + 1
                last = text.count("\n", 0, j) + 1
                name = re.sub(r"\s+", " ", header.strip())
                m = re.search(r"([~\w:<>]+)\s*\(", name)
                results.append((last - first + 1, m.group(1) if m else name[:40], first))
                i = j + 1
                header_start = i
                continue
            stack.append("scope" if (at_scope and (SCOPE_WORDS.search(header) or header.strip() == "")) else "other")
            header_start = i + 1
        i += 1
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="node")
    ap.add_argument("--most", type=int, default=20)
    ap.add_argument("--over", type=int, default=0)
    args = ap.parse_args()
    rows = []
    for dirpath, _, files in os.walk(args.root):
        for f in files:
            if f.endswith((".cc", ".h", ".cpp", ".hpp")):
                p = os.path.join(dirpath, f)
                for size, name, line in functions(p):
                    rows.append((size, f"{p}:{line}", name))
    rows.sort(reverse=True)
    for size, where, name in rows[: args.most]:
        print(f"{size:5d}  {where}  {name}")
    if args.over:
        over = [r for r in rows if r[0] > args.over]
        print(f"{len(over)} function(s) over {args.over} lines")
        return 1 if over else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Prints the structure of a checkout as Markdown: folders, largest files and
functions, and the link graph of the project's libraries.

Usage: tools/structure_report.py [--repo DIR] [--most N]

  folders      every folder under node/ with its source files and lines
               (tests counted apart), and whether it has a README.md
  files        the N largest source files under node/ (tests excluded)
  functions    the N longest function bodies (tools/function_sizes.py's rule)
  link graph   for each library or executable declared in a CMakeLists.txt
               under node/, the project libraries it links (ifed_* targets)

To compare two commits: `git worktree add /tmp/old REV` (or `git archive REV
| tar -x -C /tmp/old`), then run this once with --repo /tmp/old and once on
the current tree.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import function_sizes  # noqa: E402

SOURCE = (".cc", ".h")


def is_test(name):
    return name.endswith(("_test.cc", "_fuzz.cc", "_it.cc")) or "test_util" in name or name.startswith("fake_")


def count_lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return sum(1 for _ in f)


def folders(node):
    rows = []
    for dirpath, dirs, files in sorted(os.walk(node)):
        dirs[:] = sorted(d for d in dirs if d != "testdata" and not d.endswith("_corpus"))
        src = [f for f in files if f.endswith(SOURCE)]
        if not src and dirpath != node:
            continue
        prod = [f for f in src if not is_test(f)]
        tests = [f for f in src if is_test(f)]
        rows.append((os.path.relpath(dirpath, os.path.dirname(node)), len(prod),
                     sum(count_lines(os.path.join(dirpath, f)) for f in prod),
                     len(tests), sum(count_lines(os.path.join(dirpath, f)) for f in tests),
                     os.path.exists(os.path.join(dirpath, "README.md"))))
    return rows


def largest_files(node, most):
    sizes = []
    for dirpath, _, files in os.walk(node):
        for f in files:
            if f.endswith(SOURCE) and not is_test(f):
                p = os.path.join(dirpath, f)
                sizes.append((count_lines(p), os.path.relpath(p, os.path.dirname(node))))
    return sorted(sizes, reverse=True)[:most]


def longest_functions(node, most):
    found = []
    for dirpath, _, files in os.walk(node):
        for f in files:
            if f.endswith(".cc") and not is_test(f):
                p = os.path.join(dirpath, f)
                for size, name, line in function_sizes.functions(p):
                    found.append((size, f"{os.path.relpath(p, os.path.dirname(node))}:{line}", name))
    return sorted(found, reverse=True)[:most], found


TARGET = re.compile(r"\b(add_library|add_executable|ifed_test|ifed_fuzz)\s*\(\s*([A-Za-z0-9_.-]+)")
LINK = re.compile(r"target_link_libraries\s*\(\s*([A-Za-z0-9_.-]+)([^)]*)\)", re.S)


def link_graph(node):
    graph = {}
    for dirpath, _, files in os.walk(node):
        if "CMakeLists.txt" not in files:
            continue
        text = open(os.path.join(dirpath, "CMakeLists.txt"), encoding="utf-8").read()
        text = re.sub(r"#[^\n]*", "", text)
        for kind, name in TARGET.findall(text):
            if kind in ("add_library", "add_executable"):
                graph.setdefault(name, set())
        for name, body in LINK.findall(text):
            if name in graph:
                graph[name].update(t for t in body.split() if t.startswith("ifed_") and t != name)
    return graph


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", default=".")
    ap.add_argument("--most", type=int, default=15)
    args = ap.parse_args()
    node = os.path.join(args.repo, "node")
    if not os.path.isdir(node):
        sys.exit(f"structure_report.py: no node/ folder in {args.repo}")

    rows = folders(node)
    print("## Folders\n\n| folder | files | lines | test files | test lines | README |\n| --- | --- | --- | --- | --- | --- |")
    for path, nf, nl, tf, tl, readme in rows:
        print(f"| {path} | {nf} | {nl} | {tf} | {tl} | {'yes' if readme else 'no'} |")
    print(f"\n{sum(r[1] for r in rows)} source files, {sum(r[2] for r in rows)} lines; "
          f"{sum(r[3] for r in rows)} test files, {sum(r[4] for r in rows)} lines; "
          f"{sum(1 for r in rows if not r[5])} folder(s) without a README\n")

    print("## Largest files\n\n| lines | file |\n| --- | --- |")
    for size, path in largest_files(node, args.most):
        print(f"| {size} | {path} |")

    top, every = longest_functions(node, args.most)
    print("\n## Longest functions\n\n| lines | where | function |\n| --- | --- | --- |")
    for size, where, name in top:
        print(f"| {size} | {where} | {name} |")
    sizes = sorted(s for s, _, _ in every)
    if sizes:
        print(f"\n{len(sizes)} functions; median {sizes[len(sizes) // 2]} lines; "
              f"{sum(1 for s in sizes if s > 120)} over 120 lines, {sum(1 for s in sizes if s > 60)} over 60\n")

    graph = link_graph(node)
    print("## Link graph (project libraries each target links)\n\n| target | links |\n| --- | --- |")
    for name in sorted(graph):
        if graph[name] or name.startswith("ifed_"):
            print(f"| {name} | {', '.join(sorted(graph[name])) or '-'} |")


if __name__ == "__main__":
    main()

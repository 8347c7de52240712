#!/usr/bin/env python3
"""readme_check.py - run every command the README shows, in order, and check the outputs it promises.

    python3 Tools/readme_check.py [--repo DIR] [--keep]

The README's ```bash blocks run one after another in a single bash session (so `export` and files
carry over), in a fresh folder whose Fixtures/, Tools/, .build/ and Makefile lead to the repository
and whose data/shakespeare holds the corpus (a copy of ../shared/data/shakespeare when present,
else whatever Tools/get-shakespeare.sh fetches). ```python blocks run with python3 at their place
(those that import torch only where torch is installed; with CHARRNN_REQUIRE_TORCH=1, as in CI,
a missing torch is a failure). A ```text exact block must equal the
standard output of the bash block before it. Everything else runs as written, except:

  - `--time-limit N` becomes `--time-limit 0.05` (three seconds instead of minutes);
  - `tensorboard --logdir DIR` becomes `tensorboard --logdir DIR --inspect` (reads the same files,
    prints what it found and exits, instead of serving a web page);
  - `make demo` runs Tools/demo.sh with MINUTES=0.05;
  - `make test` (which runs this check), `swift build ...` (the test run holds the build) and
    `make install ...` (it builds) are not run here: `make test` runs the build and, after the test
    suite, `make install` into a temporary prefix and each installed program's `--version`.

Exits 0 when every command succeeded and every promised output matched; prints a report either way.
"""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile


def blocks(readme):
    """(language, info, text) for every fenced block, in order."""
    found = []
    for match in re.finditer(r"^```([^\n]*)\n(.*?)^```\s*$", readme, flags=re.S | re.M):
        info = match.group(1).strip().split()
        found.append((info[0] if info else "", info[1:], match.group(2)))
    return found


def commands(text):
    """Logical lines of a bash block (backslash continuations joined), comments dropped."""
    lines, current = [], ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if current.strip() and not current.strip().startswith("#"):
            lines.append(current.strip())
        current = ""
    return lines


def adapt(command):
    """The command as this check runs it, or None when it is not run here (with the reason)."""
    if command.startswith("make test"):
        return None, "runs this check itself"
    if command.startswith("swift build"):
        return None, "the test run holds the build; make test builds first"
    if command.startswith("make install"):
        return None, "builds; make test installs into a temporary prefix after the suite"
    if command == "make demo":
        return "MINUTES=0.05 bash Tools/demo.sh", None
    command = re.sub(r"--time-limit \S+", "--time-limit 0.05", command)
    if command.startswith("tensorboard "):
        command += " --inspect"
    return command, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(pathlib.Path(__file__).resolve().parent.parent))
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args()
    repo = pathlib.Path(args.repo)
    readme = (repo / "README.md").read_text()
    work = pathlib.Path(tempfile.mkdtemp(prefix="readme-check-"))
    for name in ["Fixtures", "Tools", ".build", "Makefile", "docs"]:
        (work / name).symlink_to(repo / name)
    shared = repo.parent / "shared" / "data" / "shakespeare"
    if shared.is_dir():
        shutil.copytree(shared, work / "data" / "shakespeare")
    (work / "runs").mkdir()
    try:
        import torch  # noqa: F401
        have_torch = True
    except Exception:
        have_torch = False
        if os.environ.get("CHARRNN_REQUIRE_TORCH") == "1":
            sys.exit("readme-check: CHARRNN_REQUIRE_TORCH=1 but python3 cannot import torch "
                     "(bash Tools/install-deps.sh --with-torch installs it)")

    script = ["set -euo pipefail", f"cd {work}", "export BIN=$PWD/.build/release"]
    expectations, report = [], []
    last_output = None
    for index, (language, info, text) in enumerate(blocks(readme)):
        if language == "bash":
            out = work / f".readme-{index}.out"
            script.append(f"echo '--- block {index}' >&2")
            script.append("{")
            script.append("  :")
            for command in commands(text):
                adapted, reason = adapt(command)
                if adapted is None:
                    report.append(f"not run here: {command}  ({reason})")
                    continue
                if adapted != command:
                    report.append(f"run as: {adapted}")
                script.append(f"  {adapted}")
            script.append(f"}} > {out}")
            last_output = out
        elif language == "python":
            if re.search(r"^\s*(import .*\btorch\b|from torch)", text, flags=re.M) and not have_torch:
                report.append(f"not run here: python block {index} (torch is not installed)")
                continue
            script.append(f"echo '--- block {index} (python)' >&2")
            script.append("python3 - <<'PYTHON_BLOCK'\n" + text + "PYTHON_BLOCK")
        elif language == "text" and "exact" in info:
            expectations.append((index, last_output, text))
    script_path = work / ".readme-check.sh"
    script_path.write_text("\n".join(script) + "\n")
    result = subprocess.run(["bash", str(script_path)], cwd=work, capture_output=True, text=True)
    ok = result.returncode == 0
    if not ok:
        report.append(f"FAILED (exit {result.returncode}); standard error:\n{result.stderr[-4000:]}")
    else:
        for index, path, expected in expectations:
            actual = path.read_text() if path and path.exists() else None
            if actual != expected:
                ok = False
                report.append(f"FAILED: block {index} promises\n{expected!r}\nbut the commands before it printed\n{actual!r}")
            else:
                report.append(f"output of the block before block {index} matches exactly")
    print("\n".join(report))
    print(f"readme-check: {'ok' if ok else 'FAILED'} ({len(expectations)} exact outputs, work in {work})")
    if not args.keep and ok:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

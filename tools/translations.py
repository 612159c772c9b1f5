"""Refresh resources/translations: the English plural forms, compiled to .qm.

Qt's plural handling (`self.tr("%n day(s) left", "", n)`) needs a translation even for
English: this script extracts the plural messages (pyside6-lupdate -pluralonly), fills the
English forms mechanically ("(s)" dropped for one, "s" for many) and compiles them
(pyside6-lrelease). Run it after adding or changing a plural string; commit both files.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TS = ROOT / "resources" / "translations" / "adaptive_learning_en.ts"
BIN = Path(sys.executable).parent


def main() -> int:
    sources = sorted(str(p) for p in (ROOT / "desktop_app" / "ui").glob("*.py"))
    subprocess.run([str(BIN / "pyside6-lupdate"), "-pluralonly", "-no-obsolete", "-locations", "none",
                    "-target-language", "en", *sources, "-ts", str(TS)], check=True)
    text = TS.read_text(encoding="utf-8")

    def fill(match: re.Match[str]) -> str:
        source = match.group(1)
        one, many = source.replace("(s)", ""), source.replace("(s)", "s")
        return (f"<source>{source}</source>\n        <translation>\n"
                f"            <numerusform>{one}</numerusform>\n"
                f"            <numerusform>{many}</numerusform>\n        </translation>")

    text = re.sub(r"<source>(.*?)</source>\s*<translation[^>]*>.*?</translation>", fill, text, flags=re.S)
    TS.write_text(text, encoding="utf-8")
    subprocess.run([str(BIN / "pyside6-lrelease"), str(TS), "-qm", str(TS.with_suffix(".qm"))], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

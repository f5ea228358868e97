"""The licences the SBOMs under a folder declare (make sbom writes them to reports/sbom/), for a
platform team to clear before shipping: per kind of component (Python, Debian), each licence with
the components that declare it, copyleft ones (GPL, LGPL, AGPL, MPL, EPL, CDDL) marked, and the
components that declare none or a non-free one named. Licences are as declared: a package that
states two (an expression and a classifier) is counted under both.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from python_deps import cli

COPYLEFT = re.compile(
    r"\b(A?GPL|LGPL|GNU (Library or )?(Lesser )?General Public|MPL|Mozilla Public"
    r"|EPL|Eclipse Public|CDDL)",
    re.I,
)
PROPRIETARY = re.compile(r"proprietary|NVIDIA Software License|LicenseRef-", re.I)


def declared(component: dict) -> list[str]:
    names = []
    for entry in component.get("licenses", []):
        if "expression" in entry:
            names.append(entry["expression"])
        else:
            licence = entry["license"]
            names.append(licence.get("id") or licence.get("name", "?"))
    return names or ["(none declared)"]


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser("sbom", __doc__)
    parser.add_argument(
        "folder",
        nargs="?",
        metavar="FOLDER",
        type=Path,
        default=Path("reports/sbom"),
        help="The folder of the SBOMs, *.cdx.json (default: reports/sbom, where make sbom writes).",
    )
    folder = parser.parse_args(argv).folder
    files = sorted(folder.rglob("*.cdx.json"))
    if not files:
        cli.fail("sbom", f"no SBOM under {folder}: run make sbom first")
    by_kind: dict[str, dict[str, set[str]]] = {
        "Python": defaultdict(set),
        "Debian": defaultdict(set),
    }
    for file in files:
        for component in json.loads(file.read_text()).get("components", []):
            kind = "Python" if component.get("purl", "").startswith("pkg:pypi/") else "Debian"
            for licence in declared(component):
                by_kind[kind][licence].add(component["name"])
    print(f"licences declared in {len(files)} SBOMs under {folder}")
    for kind, licences in by_kind.items():
        print(
            f"\n{kind}: {len({name for names in licences.values() for name in names})} components"
        )
        for licence, names in sorted(licences.items(), key=lambda item: (-len(item[1]), item[0])):
            mark = (
                " [copyleft]"
                if COPYLEFT.search(licence)
                else " [not free: review]"
                if PROPRIETARY.search(licence)
                else ""
            )
            print(f"  {len(names):4d}  {licence}{mark}: {', '.join(sorted(names))}")


if __name__ == "__main__":
    main()

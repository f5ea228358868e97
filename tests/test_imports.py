"""Every distribution the variant's requirement sets ask for is installed and imports."""


def test_distribution_imports(run, distribution):
    modules = run("python3", "/units/import_distribution.py", distribution)
    assert modules.strip(), f"{distribution}: no module imported"

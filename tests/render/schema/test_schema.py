"""`warden render schema`: the generated modules compile, start with a good environment, and
exit non-zero naming every missing or malformed key, never a value.

TypeScript runs under the npm packages `tasks.py test` installs into the venv
(`node-tools/`), Go under Debian's golang-go with envconfig in GOPATH mode,
Python under pydantic-settings. Where a toolchain is missing the test skips,
except in CI, where it fails.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, make_canary, run_warden

NODE_TOOLS = Path(os.environ.get("WARDEN_NODE_TOOLS", Path(sys.prefix) / "node-tools")) / "node_modules"
GOPATH_SHARED = Path("/usr/share/gocode")
LANGS = ("zod", "pydantic", "envconfig", "ts-types", "json-schema")

CONTRACT = """\
version: 1
project: demo
environments: {dev: {}, prod: {production: true}}
instances: [tenant-a, tenant-b]
namespaces:
  api: {path: /services/api}
  shop: {path: /services/shop}
services:
  api:
    namespace: api
    secrets:
      API_TOKEN: {description: Calls the partner API, min_length: 24}
      STRIPE_SECRET_KEY: {format: stripe-secret-key}
      DATABASE_URL: {format: database-url}
      PARTNER_URL: {format: http-url, sensitive: false}
      MAX_WORKERS: {format: integer, sensitive: false}
      SAMPLE_PERCENT: {format: percent, sensitive: false}
      DEBUG: {format: boolean, sensitive: false, required: false}
      ORDER_PREFIX: {format: {regex: "ord-[a-z]{3}"}, sensitive: false}
      AUDIT_WEBHOOK: {environments: [prod]}
  shop:
    namespace: shop
    per_instance: true
    secrets: {SHOP_KEY: {min_length: 16}}
"""


def _need(tool: str | None, what: str) -> str:
    if tool:
        return tool
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI: `python3 tasks.py test` installs it")
    pytest.skip(f"{what} is not installed (python3 tasks.py test installs it)")


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    path = tmp_path / "repo" / "warden.yaml"
    path.parent.mkdir()
    path.write_text(CONTRACT)
    return path


def good_env() -> dict[str, str]:
    """Valid values, made up at test time (format-valid fakes are never committed)."""
    return {
        "API_TOKEN": secrets.token_urlsafe(24),
        "STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(12),
        "DATABASE_URL": f"postgres://app:{secrets.token_hex(8)}@db.example.invalid/app",
        "PARTNER_URL": "https://partner.example.invalid/v1",
        "MAX_WORKERS": "8",
        "SAMPLE_PERCENT": "12.5",
        "ORDER_PREFIX": "ord-abc",
    }


def bad_env() -> tuple[dict[str, str], str]:
    """One key missing, two malformed (one carrying a canary that must never be printed)."""
    env = good_env()
    del env["DATABASE_URL"]
    canary = make_canary("schema")
    env["STRIPE_SECRET_KEY"] = canary
    env["SAMPLE_PERCENT"] = "140"
    return env, canary


def render(contract: Path, lang: str, *extra: str) -> str:
    result = run_warden("-c", contract, "render", "schema", "--service", "api", "--lang", lang, *extra)
    assert result.returncode == 0, result.output
    return result.stdout


def base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")
    return {k: v for k, v in os.environ.items() if k in keep}


def assert_rejects(proc: subprocess.CompletedProcess[str], canary: str) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "DATABASE_URL: missing" in out
    assert "STRIPE_SECRET_KEY: invalid" in out
    assert "SAMPLE_PERCENT: invalid" in out
    assert canary not in out


def run_both(argv: list[str], cwd: Path, ok_marker: str) -> None:
    started = subprocess.run(argv, cwd=cwd, env={**base_env(), **good_env()}, capture_output=True, text=True,
                             timeout=120)
    assert started.returncode == 0 and ok_marker in started.stdout, started.stdout + started.stderr
    env, canary = bad_env()
    refused = subprocess.run(argv, cwd=cwd, env={**base_env(), **env}, capture_output=True, text=True,
                             timeout=120)
    assert_rejects(refused, canary)


# --- the library: every language renders, deterministically ------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_example_service_renders_byte_identically(lang: str) -> None:
    from secretwarden.contract.loader import load_contract
    from secretwarden.render.schema import render_schema

    contract = load_contract(EXAMPLE, use_cache=False).contract
    for service in contract.services:
        first = render_schema(contract, service, lang)
        assert first == render_schema(contract, service, lang)
        assert "Regenerate: warden render schema" in first


def test_required_follows_the_environments_a_schema_covers(contract: Path) -> None:
    from secretwarden.contract.loader import load_contract
    from secretwarden.render.schema.spec import schema_spec

    loaded = load_contract(contract, use_cache=False).contract
    everywhere = {f.name: f.required for f in schema_spec(loaded, "api").fields}
    prod = {f.name: f.required for f in schema_spec(loaded, "api", "prod").fields}
    assert everywhere["AUDIT_WEBHOOK"] is False and prod["AUDIT_WEBHOOK"] is True
    assert everywhere["DEBUG"] is False and everywhere["API_TOKEN"] is True
    shop = schema_spec(loaded, "shop")
    assert shop.per_instance and [f.name for f in shop.fields] == ["SHOP_KEY"]


# --- each language, compiled and run for real ---------------------------------------------------


def test_pydantic_settings_start_and_refuse(contract: Path, tmp_path: Path) -> None:
    module = tmp_path / "app" / "settings.py"
    module.parent.mkdir()
    module.write_text(render(contract, "pydantic"))
    (module.parent / "main.py").write_text(
        "from settings import load_settings\n"
        "s = load_settings()\n"
        "print('started', type(s.sample_percent).__name__, s)\n"
    )
    run_both([sys.executable, "main.py"], module.parent, "started float")
    started = subprocess.run([sys.executable, "main.py"], cwd=module.parent, env={**base_env(), **good_env()},
                             capture_output=True, text=True)
    assert good_env()["STRIPE_SECRET_KEY"][:8] not in started.stdout.replace("sk_test_", "")  # SecretStr hides it
    # Formatted as `ruff format` (black style) would, and lint-clean.
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff:
        fmt = subprocess.run([ruff, "format", "--isolated", "--check", str(module)], capture_output=True, text=True)
        assert fmt.returncode == 0, fmt.stdout + fmt.stderr
        lint = subprocess.run([ruff, "check", "--isolated", "--select", "E,F,W,I,UP,B", str(module)],
                              capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout


def test_typescript_zod_and_plain_types_compile_and_refuse(contract: Path, tmp_path: Path) -> None:
    _need(shutil.which("node"), "node")
    tsc = _need(str(NODE_TOOLS / ".bin" / "tsc") if (NODE_TOOLS / ".bin" / "tsc").exists() else None,
                "typescript (npm)")
    app = tmp_path / "ts"
    app.mkdir()
    (app / "env.ts").write_text(render(contract, "zod"))
    (app / "types.ts").write_text(render(contract, "ts-types"))
    (app / "main.ts").write_text(
        'import { loadEnv } from "./env";\n'
        'import { loadEnv as loadPlain } from "./types";\n'
        'const env = process.argv[2] === "plain" ? loadPlain() : loadEnv();\n'
        "const workers: number = env.MAX_WORKERS;\n"
        'console.log("started", typeof env.SAMPLE_PERCENT, workers);\n'
    )
    (app / "tsconfig.json").write_text(json.dumps({
        "compilerOptions": {
            "strict": True, "noUnusedLocals": True, "target": "ES2022", "module": "commonjs",
            "moduleResolution": "node", "esModuleInterop": True, "skipLibCheck": True, "outDir": "out",
            "typeRoots": [str(NODE_TOOLS / "@types")], "types": ["node"], "baseUrl": ".",
            "paths": {"zod": [str(NODE_TOOLS / "zod")]},
        },
        "files": ["main.ts"],
    }))
    prettier = NODE_TOOLS / ".bin" / "prettier"
    if prettier.exists():  # formatted as Prettier (default options) would write it
        styled = subprocess.run([str(prettier), "--check", "env.ts", "types.ts"], cwd=app, capture_output=True,
                                text=True, timeout=120)
        assert styled.returncode == 0, styled.stdout + styled.stderr
    compiled = subprocess.run([tsc, "-p", "."], cwd=app, capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    node = ["node", "--no-warnings", "out/main.js"]
    os.environ.setdefault("NODE_PATH", "")
    for variant in ([], ["plain"]):
        argv = node + variant
        started = subprocess.run(argv, cwd=app, env={**base_env(), **good_env(), "NODE_PATH": str(NODE_TOOLS)},
                                 capture_output=True, text=True, timeout=60)
        assert started.returncode == 0 and "started number" in started.stdout, started.stdout + started.stderr
        env, canary = bad_env()
        refused = subprocess.run(argv, cwd=app, env={**base_env(), **env, "NODE_PATH": str(NODE_TOOLS)},
                                 capture_output=True, text=True, timeout=60)
        assert_rejects(refused, canary)


@pytest.fixture
def gopath(tmp_path: Path) -> Iterator[Path]:
    _need(shutil.which("go"), "go (Debian golang-go)")
    if not (GOPATH_SHARED / "src" / "github.com" / "kelseyhightower" / "envconfig").is_dir():
        _need(None, "envconfig (Debian golang-github-kelseyhightower-envconfig-dev)")
    yield tmp_path / "go"


def test_go_envconfig_is_gofmt_clean_builds_and_refuses(contract: Path, gopath: Path) -> None:
    pkg = gopath / "src" / "app"
    (pkg / "config").mkdir(parents=True)
    (pkg / "config" / "config.go").write_text(render(contract, "envconfig"))
    (pkg / "main.go").write_text(
        'package main\n\nimport (\n\t"fmt"\n\n\t"app/config"\n)\n\n'
        'func main() {\n\tcfg := config.MustLoad()\n\tfmt.Println("started", cfg.MaxWorkers+1)\n}\n'
    )
    unformatted = subprocess.run(["gofmt", "-l", str(pkg)], capture_output=True, text=True)
    assert unformatted.stdout == "", unformatted.stdout
    go_env = {**base_env(), "GO111MODULE": "off", "GOPATH": f"{gopath}:{GOPATH_SHARED}",
              "GOCACHE": str(gopath / "cache"), "GOFLAGS": "-mod=mod"}
    go_env.pop("GOFLAGS")
    for step in (["go", "vet", "./..."], ["go", "build", "-o", str(gopath / "app"), "."]):
        done = subprocess.run(step, cwd=pkg, env=go_env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    run_both([str(gopath / "app")], pkg, "started 9")


def test_json_schema_is_valid_and_agrees(contract: Path) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads(render(contract, "json-schema"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(good_env())) == []
    env, _ = bad_env()
    bad = {e.path[0] if e.path else e.message.split("'")[1] for e in validator.iter_errors(env)}
    assert bad == {"DATABASE_URL", "STRIPE_SECRET_KEY", "SAMPLE_PERCENT"}
    assert schema["properties"]["API_TOKEN"]["writeOnly"] is True


# --- the command ------------------------------------------------------------------------------


def test_out_writes_once_and_reports_up_to_date(contract: Path) -> None:
    target = contract.parent / "api" / "settings.py"
    target.parent.mkdir()
    first = run_warden("-c", contract, "render", "schema", "-s", "api", "-l", "pydantic", "--out", target)
    assert first.returncode == 0 and "wrote" in first.stderr, first.output
    text = target.read_text()
    assert "--out api/settings.py" in text
    again = run_warden("-c", contract, "render", "schema", "-s", "api", "-l", "pydantic", "--out", target)
    assert again.returncode == 0 and "up to date" in again.stderr
    assert target.read_text() == text


@pytest.mark.parametrize(("args", "needle"), [
    (("-s", "api", "-l", "cobol"), "unknown schema language"),
    (("-s", "nope", "-l", "zod"), "unknown service"),
    (("-s", "api", "-l", "zod", "--env", "qa"), "unknown environment"),
])
def test_bad_arguments_are_usage_errors(contract: Path, args: tuple[str, ...], needle: str) -> None:
    result = run_warden("-c", contract, "render", "schema", *args)
    assert result.returncode == 2 and needle in result.stderr, result.output
    assert "Traceback" not in result.output


def test_a_pattern_the_dialect_cannot_express_is_refused_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "warden.yaml"
    path.write_text(CONTRACT.replace('ORDER_PREFIX: {format: {regex: "ord-[a-z]{3}"}',
                                     'ORDER_PREFIX: {format: {regex: "(?=ord)ord-[a-z]{3}"}'))
    go = run_warden("-c", path, "render", "schema", "-s", "api", "-l", "envconfig")
    assert go.returncode == 2 and "ORDER_PREFIX" in go.stderr, go.output
    assert run_warden("-c", path, "render", "schema", "-s", "api", "-l", "zod").returncode == 0


def test_lint_reports_a_drifted_schema_and_accepts_a_fresh_one(contract: Path) -> None:
    root = contract.parent
    target = root / "api" / "env.ts"
    target.parent.mkdir()
    assert run_warden("-c", contract, "render", "schema", "-s", "api", "-l", "zod", "--out", target).returncode == 0
    fresh = run_warden("lint", "--rule", "schema-drift", cwd=root)
    assert fresh.returncode == 0, fresh.output
    contract.write_text(CONTRACT.replace("MAX_WORKERS:", "NEW_KEY: {}\n      MAX_WORKERS:"))
    drifted = run_warden("lint", "--rule", "schema-drift", cwd=root)
    assert drifted.returncode == 1 and "api/env.ts" in drifted.stdout, drifted.output


# --- docs: one page per language, showing the commerce example's output ------------------------

DOC_SERVICE = "payment"
DOC_FENCE = {"zod": "ts", "pydantic": "python", "envconfig": "go", "ts-types": "ts", "json-schema": "json"}


def doc_page(lang: str) -> str:
    from secretwarden.contract.loader import load_contract
    from secretwarden.render.schema import render_schema

    contract = load_contract(EXAMPLE, use_cache=False).contract
    text = render_schema(contract, DOC_SERVICE, lang)
    return (
        f"# `warden render schema --lang {lang}`\n\n"
        f"What the command writes for the `{DOC_SERVICE}` service of `examples/commerce`. "
        "See [schemas.md](../schemas.md) for what every language's output does.\n\n"
        f"```sh\nwarden -c examples/commerce/warden.yaml render schema --service {DOC_SERVICE} --lang {lang}\n```\n\n"
        f"```{DOC_FENCE[lang]}\n{text}```\n"
    )


@pytest.mark.parametrize("lang", LANGS)
def test_docs_page_shows_the_current_output(lang: str) -> None:
    page = EXAMPLE.parents[2] / "docs" / "schemas" / f"{lang}.md"
    if os.environ.get("WARDEN_REGENERATE_DOCS") == "1":
        page.write_text(doc_page(lang))
    assert page.is_file() and page.read_text() == doc_page(lang), (
        "regenerate: WARDEN_REGENERATE_DOCS=1 pytest tests/render/test_schema.py -k docs_page"
    )

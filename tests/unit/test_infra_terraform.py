"""Static checks of the AWS deployment in infra/terraform/ (issue 9).

Every .tf file is parsed with python-hcl2; the checks look at the parsed blocks, so removing
a property that matters (encryption, public access block, deletion protection, a security
group that lets the database in from anywhere, a container command the CLI lacks, ...)
fails a test. No AWS access, no terraform binary needed (the fmt check is skipped without
one).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO = Path(__file__).resolve().parents[2]
TF_ROOT = REPO / "infra" / "terraform"
MODULES = ("network", "data", "edge", "compute")
STACK = "stack"  # modules/stack composes MODULES; each environment calls it once
ENVIRONMENTS = {"staging": 421614, "production": 42161}  # Arbitrum Sepolia, Arbitrum One
SERVICES = {"api", "worker", "indexer", "ops"}  # ECS task groups that run Partisipro code
META_ARGUMENTS = {"source", "version", "providers", "depends_on", "count", "for_each"}


# --- loading ------------------------------------------------------------------------------


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _clean(node: Any) -> Any:
    """python-hcl2 keeps the quotes of strings and block labels; drop them and the block markers."""
    if isinstance(node, dict):
        return {_unquote(k): _clean(v) for k, v in node.items() if not k.startswith("__")}
    if isinstance(node, list):
        return [_clean(item) for item in node]
    if isinstance(node, str):
        return _unquote(node)
    return node


@dataclass
class TfDir:
    path: Path
    text: str = ""
    variables: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, dict] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)
    data: dict[tuple[str, str], dict] = field(default_factory=dict)
    terraform: list[dict] = field(default_factory=list)
    moved: list[dict] = field(default_factory=list)

    def of_type(self, kind: str) -> dict[str, dict]:
        return {name: body for (rtype, name), body in self.resources.items() if rtype == kind}


@cache
def _parse(path: Path) -> dict:
    with path.open() as handle:
        return _clean(hcl2.load(handle))


@cache
def load_dir(path: Path) -> TfDir:
    tf = TfDir(path)
    for file in sorted(path.glob("*.tf")):
        tf.text += file.read_text() + "\n"
        parsed = _parse(file)
        for block in parsed.get("variable", []):
            tf.variables.update(block)
        for block in parsed.get("output", []):
            tf.outputs.update(block)
        for block in parsed.get("locals", []):
            tf.locals.update(block)
        for block in parsed.get("module", []):
            tf.modules.update(block)
        for block in parsed.get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    tf.resources[(rtype, name)] = body
        for block in parsed.get("data", []):
            for dtype, named in block.items():
                for name, body in named.items():
                    tf.data[(dtype, name)] = body
        tf.terraform.extend(parsed.get("terraform", []))
        tf.moved.extend(parsed.get("moved", []))
    return tf


def module(name: str) -> TfDir:
    return load_dir(TF_ROOT / "modules" / name)


def environment(name: str) -> TfDir:
    return load_dir(TF_ROOT / "environments" / name)


def stack() -> TfDir:
    return module(STACK)


def all_dirs() -> list[Path]:
    return sorted({file.parent for file in TF_ROOT.rglob("*.tf") if ".terraform" not in file.parts})


def all_resources() -> list[tuple[Path, str, str, dict]]:
    return [
        (directory, rtype, name, body)
        for directory in all_dirs()
        for (rtype, name), body in load_dir(directory).resources.items()
    ]


def block(body: dict, name: str) -> dict:
    """The single nested block `name` of a resource body."""
    blocks = body.get(name)
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one {name} block, got {blocks!r}"
    return blocks[0]


def ref(expression: Any) -> str:
    """The reference inside "${...}" (or the literal)."""
    assert isinstance(expression, str), expression
    match = re.fullmatch(r"\$\{(.*)\}", expression, re.S)
    return match.group(1).strip() if match else expression


def is_reference(expression: Any) -> bool:
    return isinstance(expression, str) and "${" in expression


def variable_default(tf: TfDir, expression: Any) -> Any:
    """Resolve `var.x` to its declared default (or the literal itself)."""
    if is_reference(expression):
        match = re.fullmatch(r"var\.(\w+)", ref(expression))
        assert match, f"{expression!r} is neither a literal nor var.<name>"
        declared = tf.variables[match.group(1)]
        assert "default" in declared, f"var.{match.group(1)} has no default"
        return declared["default"]
    return expression


# --- every file parses; variables and outputs ------------------------------------------------


def test_layout_has_the_modules_and_environments() -> None:
    for name in (*MODULES, STACK):
        assert (TF_ROOT / "modules" / name / "variables.tf").is_file(), name
        assert (TF_ROOT / "modules" / name / "outputs.tf").is_file(), name
    for name in ENVIRONMENTS:
        assert (TF_ROOT / "environments" / name / "main.tf").is_file(), name
        assert (TF_ROOT / "environments" / name / "terraform.tfvars").is_file(), name
        # The settings are declared once: the environment's variables.tf is the stack's.
        settings = TF_ROOT / "environments" / name / "variables.tf"
        assert settings.is_symlink(), f"{name}: variables.tf must be a symlink to modules/{STACK}/variables.tf"
        assert settings.resolve() == (TF_ROOT / "modules" / STACK / "variables.tf").resolve(), name


@pytest.mark.parametrize(
    "path",
    sorted(TF_ROOT.rglob("*.tf")) + sorted(TF_ROOT.rglob("*.tfvars")),
    ids=lambda p: str(p.relative_to(TF_ROOT)),
)
def test_every_file_parses(path: Path) -> None:
    assert isinstance(_parse(path), dict)


@pytest.mark.parametrize("directory", all_dirs(), ids=lambda p: str(p.relative_to(TF_ROOT)))
def test_variables_are_declared_described_and_used(directory: Path) -> None:
    tf = load_dir(directory)
    for name, body in tf.variables.items():
        assert str(body.get("description", "")).strip(), f"variable {name} has no description"
        assert "type" in body, f"variable {name} has no type"
    # Strip comments so prose mentioning var.x does not count as a use.
    code = re.sub(r"(?m)^\s*#.*$", "", tf.text)
    referenced = set(re.findall(r"\bvar\.([A-Za-z_][A-Za-z0-9_]*)", code))
    assert not referenced - set(tf.variables), f"used but not declared: {referenced - set(tf.variables)}"
    assert not set(tf.variables) - referenced, f"declared but unused: {set(tf.variables) - referenced}"


@pytest.mark.parametrize("directory", all_dirs(), ids=lambda p: str(p.relative_to(TF_ROOT)))
def test_outputs_are_described(directory: Path) -> None:
    tf = load_dir(directory)
    for name, body in tf.outputs.items():
        if str(body.get("description", "")).strip():
            continue
        # An environment's bare re-export of the stack output of the same name is described there.
        value = body.get("value")
        assert is_reference(value) and ref(value) == f"module.{STACK}.{name}", f"output {name} has no description"
        source = load_dir((directory / tf.modules[STACK]["source"]).resolve())
        assert str(source.outputs[name].get("description", "")).strip(), f"output {name} has no description"


def _callers() -> list[tuple[TfDir, set[str]]]:
    """Every module-calling directory and the modules it must call."""
    return [(stack(), set(MODULES))] + [(environment(env), {STACK}) for env in ENVIRONMENTS]


@pytest.mark.parametrize("caller", _callers(), ids=lambda c: str(c[0].path.relative_to(TF_ROOT)))
def test_module_calls_pass_declared_and_required_variables(caller: tuple[TfDir, set[str]]) -> None:
    tf, expected = caller
    assert set(tf.modules) == expected
    for name, call in tf.modules.items():
        target = (tf.path / call["source"]).resolve()
        assert target == (TF_ROOT / "modules" / name).resolve(), call["source"]
        declared = load_dir(target).variables
        passed = set(call) - META_ARGUMENTS
        assert not passed - set(declared), f"module {name}: unknown arguments {passed - set(declared)}"
        required = {var for var, body in declared.items() if "default" not in body}
        assert not required - passed, f"module {name}: missing required {required - passed}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_forwards_every_setting_to_the_stack(env: str) -> None:
    call = environment(env).modules[STACK]
    shared = _parse(TF_ROOT / "modules" / STACK / "variables.tf")["variable"]
    settings = {name for declaration in shared for name in declaration}
    assert settings == set(stack().variables) - {"environment", "chain_id"}
    for name in settings:
        assert name in call, f"{env}: setting {name} is not passed to the stack"
        assert ref(call[name]) == f"var.{name}", f"{env}: {name} must be forwarded as is"
    # Fixed by the directory (locals), never by tfvars or -var.
    assert ref(call["environment"]) == "local.environment"
    assert ref(call["chain_id"]) == "local.chain_id"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_moves_the_old_module_state_into_the_stack(env: str) -> None:
    moves = {ref(m["from"]): ref(m["to"]) for m in environment(env).moved}
    for name in MODULES:
        assert moves.get(f"module.{name}") == f"module.{STACK}.module.{name}", f"{env}: module.{name} would be replaced"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_tfvars_set_only_declared_variables(env: str) -> None:
    values = _parse(TF_ROOT / "environments" / env / "terraform.tfvars")
    assert not set(values) - set(environment(env).variables)
    assert values["db_instance_count"] >= 2


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_outputs_every_endpoint(env: str) -> None:
    outputs = environment(env).outputs
    # The environment re-exports every output of the stack, and only those.
    assert set(outputs) == set(stack().outputs), f"{env}: outputs differ from modules/{STACK}"
    for name, body in outputs.items():
        assert ref(body["value"]) == f"module.{STACK}.{name}", f"{env}: output {name}"
    for name in (
        "api_url",
        "alb_dns_name",
        "db_writer_endpoint",
        "db_reader_endpoint",
        "redis_primary_endpoint",
        "redis_reader_endpoint",
        "documents_bucket",
        "ecr_repository_url",
        "ses_configuration_set",
        "dashboard_url",
    ):
        assert name in outputs, f"{env} lacks output {name}"
        assert name in stack().outputs, f"modules/{STACK} lacks output {name}"


@pytest.mark.parametrize(("env", "chain_id"), ENVIRONMENTS.items())
def test_environment_chain_and_remote_state(env: str, chain_id: int) -> None:
    tf = environment(env)
    assert tf.locals["environment"] == env
    assert tf.locals["chain_id"] == chain_id
    backends = [b for t in tf.terraform for b in t.get("backend", [])]
    assert len(backends) == 1 and set(backends[0]) == {"s3"}
    s3 = backends[0]["s3"]
    assert s3["use_lockfile"] is True, "state locking (S3 lock file) must be on"
    assert s3["encrypt"] is True
    assert s3["key"] == f"{env}/terraform.tfstate"
    assert "bucket" not in s3, "the bucket comes from -backend-config (bootstrap output)"
    for where in (tf, stack()):
        required_version = where.terraform[0]["required_version"]
        assert re.search(r">=\s*1\.1[1-9]", required_version), "write-only arguments need Terraform >= 1.11"
    # The stack refuses a chain that does not belong to the environment.
    chain_check = block(stack().variables["chain_id"], "validation")["condition"]
    assert "var.environment" in chain_check and "42161" in chain_check and "421614" in chain_check


# --- secrets --------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "AWS access key": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "PEM private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "hex private key": re.compile(r"\b0x[0-9a-fA-F]{64}\b"),
    "URL with credentials": re.compile(r"\b[a-z+]+://[^\s:/@\"'$]+:[^\s@\"'$]+@"),
    "aws secret access key": re.compile(r"(?i)aws_secret_access_key\s*=\s*\S+"),
}


def _scanned_files() -> list[Path]:
    files = [p for p in TF_ROOT.rglob("*") if p.is_file() and ".terraform" not in p.parts]
    return [*files, REPO / "Dockerfile", REPO / ".dockerignore"]


@pytest.mark.parametrize("path", _scanned_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_secret_value_in_the_code(path: Path) -> None:
    text = path.read_text()
    for what, pattern in SECRET_PATTERNS.items():
        assert not pattern.search(text), f"{what} in {path.relative_to(REPO)}"


SECRET_ATTRIBUTE = re.compile(r"(password|secret_string|auth_token|token|private_key|secret_key)(_wo)?$")


def test_secret_arguments_are_never_literals() -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if SECRET_ATTRIBUTE.search(key) and isinstance(value, str):
                    assert is_reference(value), f"{where}.{key} is a literal"
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    for directory, rtype, name, body in all_resources():
        walk(body, f"{directory.name}:{rtype}.{name}")


def test_generated_secrets_stay_out_of_state() -> None:
    data = module("data")
    versions = data.of_type("aws_secretsmanager_secret_version")
    assert versions
    for name, body in versions.items():
        assert "secret_string" not in body, f"{name}: use secret_string_wo so the value stays out of state"
        assert "secret_string_wo" in body and "secret_string_wo_version" in body, name
    cluster = data.of_type("aws_rds_cluster")["main"]
    assert "master_password" not in cluster
    assert "ephemeral." in cluster["master_password_wo"]


# Settings that hold secrets: each must come from Secrets Manager in AWS.
SECRET_SETTING = re.compile(r"(secret$|_token$|password$|_key$|_keys$|^database.*url$|^redis_url$|rpc_url$)")
NOT_SECRET_OR_NOT_USED_ON_AWS = {
    "smtp_password": "email goes through SES with the task role, not SMTP",
    "platform_signer_key": "a secret only when signer_backend = secret (a conditional entry below)",
}


def test_every_secret_setting_comes_from_secrets_manager() -> None:
    settings = pytest.importorskip("partisipro.settings")
    secret_fields = {
        name
        for name in settings.Settings.model_fields
        if SECRET_SETTING.search(name) and name not in NOT_SECRET_OR_NOT_USED_ON_AWS
    }
    assert {"jwt_secret", "database_url", "redis_url", "kyc_webhook_secret"} <= secret_fields
    secrets_tf = (TF_ROOT / "modules" / "data" / "secrets.tf").read_text()
    declared = set(re.findall(r'env\s*=\s*"PARTISIPRO_([A-Z0-9_]+)"', secrets_tf))
    missing = {name for name in secret_fields if name.upper() not in declared}
    assert not missing, f"secret settings without a Secrets Manager secret: {sorted(missing)}"
    assert "PLATFORM_SIGNER_KEY" in declared
    assert {"FIELD_ENCRYPTION_ACTIVE_KEY", "KYC_PROVIDER_TOKEN"} <= declared
    # ... and never as plain environment of the containers.
    ecs_tf = (TF_ROOT / "modules" / "compute" / "ecs.tf").read_text()
    plain = set(re.findall(r"^\s*PARTISIPRO_([A-Z0-9_]+)\s*=", ecs_tf, re.M))
    assert not plain & declared, f"secrets set as plain environment: {plain & declared}"
    assert "valueFrom = var.app_secret_arns[name]" in ecs_tf


# --- encryption at rest and in transit ------------------------------------------------------


def test_aurora_is_encrypted_multi_az_backed_up_and_protected() -> None:
    data = module("data")
    clusters = data.of_type("aws_rds_cluster")
    assert set(clusters) == {"main"}
    cluster = clusters["main"]
    assert cluster["engine"] == "aurora-mysql"
    assert variable_default(data, cluster["engine_version"]).startswith("8.0.mysql_aurora.3.")
    assert cluster["storage_encrypted"] is True
    assert ref(cluster["kms_key_id"]) == "aws_kms_key.main.arn"
    assert cluster["deletion_protection"] is True
    assert cluster["skip_final_snapshot"] is False
    assert variable_default(data, cluster["backup_retention_period"]) >= 30
    retention_check = block(data.variables["db_backup_retention_days"], "validation")["condition"]
    assert ">= 30" in retention_check
    assert ref(cluster["vpc_security_group_ids"][0]) == "var.db_security_group_id"

    # Multi-AZ: a writer and at least one replica, each instance in its own zone.
    instances = data.of_type("aws_rds_cluster_instance")["main"]
    assert ref(instances["count"]) == "var.db_instance_count"
    assert data.variables["db_instance_count"]["default"] >= 2
    assert ">= 2" in block(data.variables["db_instance_count"], "validation")["condition"]
    assert "count.index" in instances["availability_zone"]
    assert instances["publicly_accessible"] is False
    assert ref(data.of_type("aws_db_subnet_group")["main"]["subnet_ids"]) == "var.data_subnet_ids"


def test_redis_is_encrypted_authenticated_and_multi_az() -> None:
    data = module("data")
    group = data.of_type("aws_elasticache_replication_group")["main"]
    assert group["at_rest_encryption_enabled"] is True
    assert ref(group["kms_key_id"]) == "aws_kms_key.main.arn"
    assert group["transit_encryption_enabled"] is True
    assert "aws_secretsmanager_secret_version.redis_auth_token" in group["auth_token"]
    assert group["multi_az_enabled"] is True
    assert group["automatic_failover_enabled"] is True
    assert ref(group["security_group_ids"][0]) == "var.redis_security_group_id"
    # Queued jobs and locks must never be evicted.
    params = {p["name"]: p["value"] for p in data.of_type("aws_elasticache_parameter_group")["main"]["parameter"]}
    assert params["maxmemory-policy"] == "noeviction"


def _bucket_config(tf: TfDir, rtype: str, bucket: str) -> dict:
    matches = [body for body in tf.of_type(rtype).values() if ref(body["bucket"]) == f"aws_s3_bucket.{bucket}.id"]
    assert len(matches) == 1, f"aws_s3_bucket.{bucket} needs exactly one {rtype}"
    return matches[0]


def _buckets() -> list[tuple[TfDir, str]]:
    return [(load_dir(d), name) for d in all_dirs() for name in load_dir(d).of_type("aws_s3_bucket")]


@pytest.mark.parametrize("bucket", _buckets(), ids=lambda b: f"{b[0].path.name}:{b[1]}")
def test_every_bucket_is_encrypted_private_and_tls_only(bucket: tuple[TfDir, str]) -> None:
    tf, name = bucket
    sse = _bucket_config(tf, "aws_s3_bucket_server_side_encryption_configuration", name)
    default = block(block(sse, "rule"), "apply_server_side_encryption_by_default")
    assert default["sse_algorithm"] in {"aws:kms", "AES256"}
    if default["sse_algorithm"] == "AES256":
        # Only log buckets: S3 server access logs and ALB logs cannot be delivered to SSE-KMS.
        assert "log" in name, f"{name}: use SSE-KMS"

    pab = _bucket_config(tf, "aws_s3_bucket_public_access_block", name)
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert pab[flag] is True, f"{name}: {flag} must be true"

    ownership = _bucket_config(tf, "aws_s3_bucket_ownership_controls", name)
    assert block(ownership, "rule")["object_ownership"] == "BucketOwnerEnforced"

    policy = _bucket_config(tf, "aws_s3_bucket_policy", name)
    document = tf.data[("aws_iam_policy_document", ref(policy["policy"]).split(".")[2])]
    denies = [s for s in document["statement"] if s.get("effect") == "Deny"]
    assert any(block(s, "condition")["variable"] == "aws:SecureTransport" for s in denies), name


def test_documents_bucket_is_kms_encrypted_versioned_logged_and_archived() -> None:
    data = module("data")
    sse = _bucket_config(data, "aws_s3_bucket_server_side_encryption_configuration", "documents")
    default = block(block(sse, "rule"), "apply_server_side_encryption_by_default")
    assert default["sse_algorithm"] == "aws:kms"
    assert ref(default["kms_master_key_id"]) == "aws_kms_key.main.arn"

    versioning = _bucket_config(data, "aws_s3_bucket_versioning", "documents")
    assert block(versioning, "versioning_configuration")["status"] == "Enabled"

    logging = _bucket_config(data, "aws_s3_bucket_logging", "documents")
    assert ref(logging["target_bucket"]) == "aws_s3_bucket.access_logs.id"

    rule = block(_bucket_config(data, "aws_s3_bucket_lifecycle_configuration", "documents"), "rule")
    assert rule["status"] == "Enabled"
    transition = block(rule, "transition")
    assert transition["storage_class"] in {"GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"}
    assert ref(transition["days"]) == "var.documents_archive_after_days"
    assert "expiration" not in rule, "current documents are never expired by a lifecycle rule"

    assert block(data.of_type("aws_s3_bucket")["documents"], "lifecycle")["prevent_destroy"] is True


def test_state_bucket_is_encrypted_and_versioned() -> None:
    bootstrap = load_dir(TF_ROOT / "bootstrap")
    sse = _bucket_config(bootstrap, "aws_s3_bucket_server_side_encryption_configuration", "state")
    assert block(block(sse, "rule"), "apply_server_side_encryption_by_default")["sse_algorithm"] == "aws:kms"
    versioning = _bucket_config(bootstrap, "aws_s3_bucket_versioning", "state")
    assert block(versioning, "versioning_configuration")["status"] == "Enabled"


# Log groups that may rely on CloudWatch's default encryption, and why.
UNENCRYPTED_LOG_GROUPS_OK = {("network", "flow_logs"): "created before the KMS keys; holds no payloads"}


def test_everything_else_at_rest_is_encrypted() -> None:
    for directory, rtype, name, body in all_resources():
        where = f"{directory.name}:{rtype}.{name}"
        if rtype == "aws_secretsmanager_secret":
            assert is_reference(body.get("kms_key_id")), f"{where}: customer managed key"
        elif rtype == "aws_cloudwatch_log_group" and (directory.name, name) not in UNENCRYPTED_LOG_GROUPS_OK:
            assert is_reference(body.get("kms_key_id")), f"{where}: kms_key_id"
        elif rtype in {"aws_sns_topic", "aws_sqs_queue"}:
            assert is_reference(body.get("kms_master_key_id")), f"{where}: kms_master_key_id"
        elif rtype == "aws_ecr_repository":
            assert block(body, "encryption_configuration")["encryption_type"] in {"AES256", "KMS"}
        elif rtype == "aws_kms_key" and body.get("key_usage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT":
            assert body["enable_key_rotation"] is True, f"{where}: rotation"


def test_signing_key_is_secp256k1_and_protected() -> None:
    signer = module("data").of_type("aws_kms_key")["signer"]
    assert signer["customer_master_key_spec"] == "ECC_SECG_P256K1"
    assert signer["key_usage"] == "SIGN_VERIFY"
    assert block(signer, "lifecycle")["prevent_destroy"] is True
    assert block(module("data").of_type("aws_kms_key")["field"], "lifecycle")["prevent_destroy"] is True


# --- network: who may reach the data tier ---------------------------------------------------


def _network_service_groups() -> dict[str, str]:
    groups = module("network").locals["service_security_groups"]
    return {name: ref(value) for name, value in groups.items()}


def test_service_security_groups_are_exactly_the_services() -> None:
    groups = _network_service_groups()
    assert set(groups) == SERVICES
    for name, reference in groups.items():
        assert reference == f"aws_security_group.{name}.id"


@pytest.mark.parametrize(("store", "port"), [("db", 3306), ("redis", 6379)])
def test_data_stores_accept_only_the_services(store: str, port: int) -> None:
    network = module("network")
    sg = network.of_type("aws_security_group")[store]
    assert "ingress" not in sg and "egress" not in sg, "rules must be separate resources"
    assert not network.of_type("aws_security_group_rule"), "use aws_vpc_security_group_*_rule"

    rules = [
        body
        for body in network.of_type("aws_vpc_security_group_ingress_rule").values()
        if ref(body["security_group_id"]) == f"aws_security_group.{store}.id"
    ]
    assert rules, f"no ingress rule for {store}"
    for rule in rules:
        for field_name in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id"):
            assert field_name not in rule, f"{store} must not accept {field_name}"
        assert rule["from_port"] == rule["to_port"] == port
        source = ref(rule["referenced_security_group_id"])
        if source == "each.value":
            assert ref(rule["for_each"]) == "local.service_security_groups"
        else:
            assert source in {f"aws_security_group.{s}.id" for s in SERVICES}, source

    # The group the data module attaches is this one.
    outputs = network.outputs["security_group_ids"]["value"]
    assert ref(outputs[store]) == f"aws_security_group.{store}.id"
    data_call = stack().modules["data"]
    assert ref(data_call[f"{store}_security_group_id"]) == f'module.network.security_group_ids["{store}"]'


def test_data_subnets_have_no_internet_route() -> None:
    network = module("network")
    for route in network.of_type("aws_route").values():
        assert "aws_route_table.data" not in route["route_table_id"]
    for association in network.of_type("aws_route_table_association").values():
        if "aws_subnet.data" in association["subnet_id"]:
            assert ref(association["route_table_id"]) == "aws_route_table.data.id"
    assert "== 3" in block(network.variables["availability_zones"], "validation")["condition"]


# --- edge: TLS and WAF ----------------------------------------------------------------------


def test_alb_serves_tls12_plus_only_behind_waf() -> None:
    edge = module("edge")
    listeners = edge.of_type("aws_lb_listener")
    https = listeners["https"]
    assert https["protocol"] == "HTTPS" and https["port"] == 443
    policy = variable_default(edge, https["ssl_policy"])
    assert policy.startswith("ELBSecurityPolicy-TLS13-1-"), policy
    allowed = block(edge.variables["tls_policy"], "validation")["condition"]
    assert "TLS13-1-0" not in allowed and "TLS-1-1" not in allowed
    for name, listener in listeners.items():
        if name != "https":
            assert block(listener, "default_action")["type"] == "redirect", f"{name} must only redirect"

    association = edge.of_type("aws_wafv2_web_acl_association")["api"]
    assert ref(association["resource_arn"]) == "aws_lb.api.arn"
    acl = edge.of_type("aws_wafv2_web_acl")["api"]
    managed = {
        block(block(rule, "statement"), "managed_rule_group_statement")["name"]
        for rule in acl["rule"]
        if "managed_rule_group_statement" in block(rule, "statement")
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed
    assert edge.of_type("aws_lb")["api"]["drop_invalid_header_fields"] is True


def test_ses_identity_has_dkim_and_bounce_notifications() -> None:
    edge = module("edge")
    identity = edge.of_type("aws_sesv2_email_identity")["domain"]
    assert block(identity, "dkim_signing_attributes")["next_signing_key_length"] == "RSA_2048_BIT"
    assert edge.of_type("aws_route53_record")["dkim"]["count"] == 3
    destination = block(edge.of_type("aws_sesv2_configuration_set_event_destination")["sns"], "event_destination")
    assert {"BOUNCE", "COMPLAINT"} <= set(destination["matching_event_types"])


# --- compute: services, scaling, alarms, IAM -----------------------------------------------


def test_services_scale_as_the_issue_asks() -> None:
    compute = module("compute")
    services = compute.of_type("aws_ecs_service")
    assert set(services) == {"api", "worker", "indexer"}
    assert "load_balancer" in services["api"]
    for name, service in services.items():
        net = block(service, "network_configuration")
        assert net["assign_public_ip"] is False, name
        assert ref(net["subnets"]) == "var.app_subnet_ids", name
    # The indexer is not autoscaled: one leader, optionally one standby waiting on the lock.
    assert "indexer_standby ? 2 : 1" in services["indexer"]["desired_count"]

    policies = compute.of_type("aws_appautoscaling_policy")
    api_metrics = {
        block(block(p, "target_tracking_scaling_policy_configuration"), "predefined_metric_specification")[
            "predefined_metric_type"
        ]
        for name, p in policies.items()
        if name.startswith("api")
    }
    assert api_metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}
    worker = block(policies["worker_queue_depth"], "target_tracking_scaling_policy_configuration")
    metrics = block(worker, "customized_metric_specification")["metrics"]
    names = {block(block(m, "metric_stat"), "metric")["metric_name"] for m in metrics if "metric_stat" in m}
    assert "QueueDepth" in names
    assert ref(policies["worker_queue_depth"]["resource_id"]).startswith("aws_appautoscaling_target.worker")


def test_alarms_cover_5xx_latency_indexer_dead_letters_and_db_cpu() -> None:
    alarms = module("compute").of_type("aws_cloudwatch_metric_alarm")
    metric_names = set()
    for alarm in alarms.values():
        assert alarm.get("alarm_actions"), "every alarm notifies"
        if "metric_name" in alarm:
            metric_names.add(alarm["metric_name"])
        for query in alarm.get("metric_query", []):
            for metric in query.get("metric", []):
                metric_names.add(metric["metric_name"])
    assert {
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "IndexerLagBlocks",
        "DeadLetters",
        "CPUUtilization",
    } <= metric_names
    assert alarms["api_p99_latency"]["extended_statistic"] == "p99"
    assert alarms["indexer_lag"]["treat_missing_data"] == "breaching", "a silent indexer is an incident"
    assert module("compute").of_type("aws_cloudwatch_dashboard")


def test_iam_is_per_service_and_scoped() -> None:
    compute = module("compute")
    assert set(compute.locals["task_permissions"]) == SERVICES
    roles = compute.of_type("aws_iam_role")
    assert ref(roles["task"]["for_each"]) == "local.task_permissions"
    assert set(compute.locals["task_permissions"]["indexer"].values()) == {False}, "indexer: metrics only"
    assert compute.locals["task_permissions"]["api"]["sign"] is False, "the API never signs transactions"
    # No wildcard actions, no managed admin policies.
    assert not re.search(r'"[a-z0-9]+:\*"', compute.text)
    assert "AdministratorAccess" not in compute.text and "PowerUser" not in compute.text
    execution = compute.data[("aws_iam_policy_document", "execution")]
    secrets = next(s for s in execution["statement"] if s.get("sid") == "ReadPartisiproSecrets")
    assert ref(secrets["resources"]) == "values(var.app_secret_arns)"


# --- container commands exist in the CLI ----------------------------------------------------


def _dockerfile_cmd() -> list[str]:
    text = (REPO / "Dockerfile").read_text()
    match = re.search(r"^CMD\s+(\[.*\])\s*$", text, re.M)
    assert match, "Dockerfile needs an exec-form CMD"
    return [item.strip().strip('"') for item in match.group(1).strip("[]").split(",")]


def container_commands() -> dict[str, list[str]]:
    commands = {key: list(value) for key, value in module("compute").locals["commands"].items()}
    commands["dockerfile CMD"] = _dockerfile_cmd()
    return commands


def test_every_service_has_a_container_command() -> None:
    commands = module("compute").locals["commands"]
    assert set(commands) == SERVICES
    assert commands["ops"] == ["partisipro", "db", "upgrade"]
    assert "local.commands[key]" in module("compute").text


@pytest.mark.parametrize(("role", "argv"), container_commands().items())
def test_container_command_exists_in_the_cli(role: str, argv: list[str]) -> None:
    import click
    from partisipro.cli import main

    assert argv[0] == "partisipro", f"{role}: the console script is partisipro"
    command: click.Command = main
    words = argv[1:]
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        assert words[0] in command.commands, f"{role}: `{' '.join(argv)}`: no subcommand {words[0]!r}"
        command = command.commands[words.pop(0)]
    assert not isinstance(command, click.Group), f"{role}: `{' '.join(argv)}` names a group, not a command"
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for word in words:
        if word.startswith("-"):
            assert word.split("=")[0] in options, f"{role}: {command.name} has no option {word}"


# --- Dockerfile ----------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_non_root_and_complete() -> None:
    text = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+(?:\s+AS\s+(\S+))?", text, re.M | re.I)
    assert len(stages) >= 2 and all(stages), "multi-stage, every stage named"
    final = text[text.rfind("\nFROM ") :]
    users = re.findall(r"^USER\s+(\S+)", final, re.M)
    assert users, "the runtime stage sets USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert "COPY contracts/build" in final, "the ABIs ship in the image"
    assert "COPY migrations" in final or "COPY --from=build /app" in final
    assert "build-essential" not in final, "no compilers in the runtime image"
    assert not re.search(r"^ADD\s+https?://", text, re.M)
    assert not re.search(r"^(ENV|ARG)\s+.*(SECRET|PASSWORD|TOKEN|PRIVATE)", text, re.M | re.I)
    # The ECS task definitions run the same non-root user.
    assert re.search(rf'user\s*=\s*"{users[-1]}', module("compute").text)


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    lines = [
        line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip() and line[0] != "#"
    ]
    assert lines[0] == "*", "allow-list: ignore everything, then name what goes in"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert {"pyproject.toml", "platform", "kyc", "notifications", "migrations", "contracts/build"} <= allowed
    assert not allowed & {".env", ".venv", "var", "tests", "contracts/node_modules", "infra"}
    assert "**/.env" in lines


# --- formatting ---------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_fmt_is_clean(tmp_path: Path) -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-list=true", str(TF_ROOT)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(tmp_path), "TF_CLI_CONFIG_FILE": "/dev/null"},
    )
    assert result.returncode == 0, f"terraform fmt would change: {result.stdout}{result.stderr}"

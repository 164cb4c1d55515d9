"""A fresh project's first deploy as data: the ordered steps, each with the probe that says its
effect already exists. No I/O here; deploy/bootstrap.py runs them.

Every ordering rule is a precondition of Google or of the google provider; docs/deploy.md
("First deploy") lists them with their sources.
"""

from __future__ import annotations

from dataclasses import dataclass

# Workload Identity Federation, and the provider itself, call these before anything can be
# planned: https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines
# ("Enable the IAM, Resource Manager, Service Account Credentials, and Security Token Service APIs")
# and Service Usage, which the provider calls to read and enable the others.
PIPELINE_APIS = (
    "serviceusage.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "sts.googleapis.com",
    "storage.googleapis.com",
)

WIF_POOL = "github"
WIF_PROVIDER = "github"
PLANNER = "planner"
DEPLOYER = "deployer"

# Secrets whose values the person deploying supplies, by the environment variable holding each.
SECRET_VALUES_FROM_ENV = {
    "stripe-api-key": "STRIPE_SECRET_KEY",
    "stripe-webhook-secret": "STRIPE_WEBHOOK_SECRET",
    # App Store Connect's In-App Purchase key: the .p8 file's text, its key id, the issuer id.
    "app-store-private-key": "APP_STORE_PRIVATE_KEY",
    "app-store-key-id": "APP_STORE_KEY_ID",
    "app-store-issuer-id": "APP_STORE_ISSUER_ID",
    "google-play-service-account-key": "GOOGLE_PLAY_SERVICE_ACCOUNT_KEY",
}
CDN_KEY_CONTAINER = "cdn-signing-key"

# Applies with alert policies held back; the next apply creates them (terraform/variables.tf).
ALERTS_HELD_BACK = "-var=alert_policies=false"
FIRST_ALERT_POLICY = "google_monitoring_alert_policy.uptime[0]"


@dataclass(frozen=True)
class Settings:
    project: str
    project_number: str
    region: str
    repository: str
    repository_id: str
    state_bucket: str
    state_prefix: str = "wellness/prod"
    tfvars: str = "prod.tfvars"
    firestore_database: str = "(default)"
    cdn_key_name: str = "media-key-1"


@dataclass(frozen=True)
class CommandProbe:
    """Holds when the command exits 0 and prints each of `expect` as a line (or as a `;`-separated
    item of a line, as gcloud's value() prints lists); any non-blank output when `expect` is empty."""

    argv: tuple[str, ...]
    expect: tuple[str, ...] = ()


@dataclass(frozen=True)
class RestProbe:
    """Holds when an authenticated GET of a Google API URL answers 200 (404: it does not)."""

    url: str


Probe = CommandProbe | RestProbe


@dataclass(frozen=True)
class FromEnv:
    """stdin is the value of an environment variable."""

    variable: str


@dataclass(frozen=True)
class NewCdnKey:
    """stdin is `<key name>:<16 random bytes, base64url>`, the format of CDN_KEYS."""

    key_name: str


@dataclass(frozen=True)
class KeyFileFromSecret:
    """`{key_file}` in argv is a private temporary file holding the key part of the secret's
    latest `<key name>:<key>` value, removed after the step."""

    secret: str


Input = FromEnv | NewCdnKey | KeyFileFromSecret


@dataclass(frozen=True)
class Step:
    name: str
    argv: tuple[str, ...]
    done: Probe | None = None  # skip the step when this holds
    needed: Probe | None = None  # run the step only when this holds
    stdin: Input | None = None


def _sa(name: str, settings: Settings) -> str:
    return f"{name}@{settings.project}.iam.gserviceaccount.com"


def _gcloud(*args: str, settings: Settings) -> tuple[str, ...]:
    return ("gcloud", *args, f"--project={settings.project}")


def _terraform(*args: str) -> tuple[str, ...]:
    return ("terraform", "-chdir=terraform", *args)


def _var_file(settings: Settings) -> tuple[str, ...]:
    return (f"-var-file={settings.tfvars}",) if settings.tfvars else ()


def _apply(settings: Settings, *extra: str) -> tuple[str, ...]:
    return _terraform("apply", "-input=false", "-auto-approve", "-lock-timeout=10m", *_var_file(settings), *extra)


def _in_state(address: str) -> CommandProbe:
    return CommandProbe(_terraform("state", "list", address), expect=(address,))


def _import(settings: Settings, address: str, import_id: str, exists: Probe) -> Step:
    """Adopt what the console (or Google, as a side effect) created, only when it exists and
    Terraform does not manage it yet."""
    return Step(
        name=f"import {address}",
        argv=_terraform("import", "-input=false", *_var_file(settings), address, import_id),
        done=_in_state(address),
        needed=exists,
    )


def _iam_members(kind: tuple[str, ...], resource: str, role: str, settings: Settings) -> CommandProbe:
    return CommandProbe(
        _gcloud(
            *kind,
            "get-iam-policy",
            resource,
            "--flatten=bindings[].members",
            f"--filter=bindings.role={role}",
            "--format=value(bindings.members)",
            settings=settings,
        ),
    )


def _grant(kind: tuple[str, ...], resource: str, role: str, member: str, settings: Settings) -> Step:
    probe = _iam_members(kind, resource, role, settings)
    return Step(
        name=f"grant {role} on {resource} to {member}",
        argv=_gcloud(
            *kind, "add-iam-policy-binding", resource, f"--role={role}", f"--member={member}", settings=settings
        ),
        done=CommandProbe(probe.argv, expect=(member,)),
    )


def _wif_condition(settings: Settings) -> str:
    # The numeric id survives a rename or transfer of the repository; a new repository that takes
    # the old name gets a new id: https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
    return f"assertion.repository_id == '{settings.repository_id}'"


def one_time_setup(settings: Settings) -> list[Step]:
    """APIs the pipeline needs before any plan, the state bucket, Workload Identity Federation and
    the two service accounts the workflows act as (docs/deploy.md, "One-time setup")."""
    bucket = f"gs://{settings.state_bucket}"
    wif = ("iam", "workload-identity-pools")
    where = ("--location=global",)
    condition = _wif_condition(settings)
    # The provider's mapping and condition, the same on its creation and on an update of one made earlier.
    trust = (
        "--attribute-mapping=google.subject=assertion.sub,attribute.repository_id=assertion.repository_id",
        f"--attribute-condition={condition}",
    )

    def provider(verb: str, *flags: str) -> tuple[str, ...]:
        return _gcloud(
            *wif,
            "providers",
            verb,
            WIF_PROVIDER,
            f"--workload-identity-pool={WIF_POOL}",
            *where,
            *flags,
            settings=settings,
        )

    pool = f"projects/{settings.project_number}/locations/global/workloadIdentityPools/{WIF_POOL}"
    deployer, planner = _sa(DEPLOYER, settings), _sa(PLANNER, settings)
    sa_kind = ("iam", "service-accounts")
    project_kind = ("projects",)
    bucket_kind = ("storage", "buckets")
    steps = [
        Step(
            name="enable the APIs the pipeline and Terraform need",
            argv=_gcloud("services", "enable", *PIPELINE_APIS, settings=settings),
            done=CommandProbe(
                _gcloud(
                    "services",
                    "list",
                    "--enabled",
                    f"--filter=config.name:({' OR '.join(PIPELINE_APIS)})",
                    "--format=value(config.name)",
                    settings=settings,
                ),
                expect=PIPELINE_APIS,
            ),
        ),
        Step(
            name="create the state bucket",
            argv=_gcloud(
                "storage",
                "buckets",
                "create",
                bucket,
                f"--location={settings.region}",
                "--uniform-bucket-level-access",
                "--public-access-prevention",
                settings=settings,
            ),
            done=CommandProbe(
                _gcloud("storage", "buckets", "describe", bucket, "--format=value(name)", settings=settings)
            ),
        ),
        Step(
            name="version the state bucket",
            argv=_gcloud("storage", "buckets", "update", bucket, "--versioning", settings=settings),
            done=CommandProbe(
                _gcloud(
                    "storage", "buckets", "describe", bucket, "--format=value(versioning_enabled)", settings=settings
                ),
                expect=("True",),
            ),
        ),
        Step(
            name="create the workload identity pool",
            argv=_gcloud(*wif, "create", WIF_POOL, *where, settings=settings),
            done=CommandProbe(_gcloud(*wif, "describe", WIF_POOL, *where, "--format=value(name)", settings=settings)),
        ),
        Step(
            name="create the GitHub OIDC provider",
            argv=provider("create-oidc", "--issuer-uri=https://token.actions.githubusercontent.com", *trust),
            done=CommandProbe(provider("describe", "--format=value(name)")),
        ),
        Step(
            name="condition the provider on the repository id",
            argv=provider("update-oidc", *trust),
            done=CommandProbe(provider("describe", "--format=value(attributeCondition)"), expect=(condition,)),
        ),
    ]
    for name in (DEPLOYER, PLANNER):
        steps.append(
            Step(
                name=f"create the {name} service account",
                argv=_gcloud(*sa_kind, "create", name, settings=settings),
                done=CommandProbe(
                    _gcloud(*sa_kind, "describe", _sa(name, settings), "--format=value(email)", settings=settings)
                ),
            )
        )
    subject = f"principal://iam.googleapis.com/{pool}/subject/repo:{settings.repository}"
    steps += [
        # Only jobs in the production environment act as the deployer; pull requests as the planner.
        _grant(sa_kind, deployer, "roles/iam.workloadIdentityUser", f"{subject}:environment:production", settings),
        _grant(sa_kind, planner, "roles/iam.workloadIdentityUser", f"{subject}:pull_request", settings),
        _grant(project_kind, settings.project, "roles/owner", f"serviceAccount:{deployer}", settings),
        *(
            _grant(project_kind, settings.project, role, f"serviceAccount:{planner}", settings)
            for role in (
                "roles/viewer",
                "roles/iam.securityReviewer",
                # The provider bills calls to the project (user_project_override), which needs
                # serviceusage.services.use: https://cloud.google.com/docs/quotas/set-quota-project
                "roles/serviceusage.serviceUsageConsumer",
            )
        ),
        # The planner reads the state here and the function zips in the sources bucket (Terraform
        # grants that one), nothing else: not the premium media.
        _grant(bucket_kind, bucket, "roles/storage.objectViewer", f"serviceAccount:{planner}", settings),
        Step(
            name="remove the planner's project-wide object read",
            argv=_gcloud(
                "projects",
                "remove-iam-policy-binding",
                settings.project,
                "--role=roles/storage.objectViewer",
                f"--member=serviceAccount:{planner}",
                settings=settings,
            ),
            needed=CommandProbe(
                _iam_members(project_kind, settings.project, "roles/storage.objectViewer", settings).argv,
                expect=(f"serviceAccount:{planner}",),
            ),
        ),
    ]
    return steps


def first_apply(settings: Settings) -> list[Step]:
    """Terraform, in the order Google requires (docs/deploy.md, "First deploy")."""
    p = settings.project
    database = f"projects/{p}/databases/{settings.firestore_database}"
    release = (
        "cloud.firestore"
        if settings.firestore_database == "(default)"
        else f"cloud.firestore/{settings.firestore_database}"
    )
    steps = [
        Step(
            name="terraform init",
            argv=_terraform(
                "init",
                "-input=false",
                f"-backend-config=bucket={settings.state_bucket}",
                f"-backend-config=prefix={settings.state_prefix}",
            ),
        ),
        Step(
            name="enable the APIs and create the secret containers",
            argv=_apply(
                settings, "-target=google_project_service.enabled", "-target=google_secret_manager_secret.secret"
            ),
        ),
        _import(
            settings,
            "google_firestore_database.default",
            database,
            CommandProbe(
                _gcloud(
                    "firestore",
                    "databases",
                    "describe",
                    f"--database={settings.firestore_database}",
                    "--format=value(name)",
                    settings=settings,
                )
            ),
        ),
        # initializeAuth fails on a project where Identity Platform is already enabled:
        # https://cloud.google.com/identity-platform/docs/reference/rest/v2/projects.identityPlatform/initializeAuth
        _import(
            settings,
            "google_identity_platform_config.auth",
            f"projects/{p}/config",
            RestProbe(f"https://identitytoolkit.googleapis.com/admin/v2/projects/{p}/config"),
        ),
        # Cloud Functions creates gcf-artifacts on its first build; Terraform adds its cleanup policy.
        _import(
            settings,
            "google_artifact_registry_repository.gcf_artifacts",
            f"projects/{p}/locations/{settings.region}/repositories/gcf-artifacts",
            CommandProbe(
                _gcloud(
                    "artifacts",
                    "repositories",
                    "describe",
                    "gcf-artifacts",
                    f"--location={settings.region}",
                    "--format=value(name)",
                    settings=settings,
                )
            ),
        ),
        Step(name="create the Firestore database", argv=_apply(settings, "-target=google_firestore_database.default")),
        # Creating a database creates its `cloud.firestore` rules release, so Terraform must adopt
        # it rather than create it: https://github.com/hashicorp/terraform-provider-google/issues/20917
        _import(
            settings,
            "google_firebaserules_release.firestore",
            f"projects/{p}/releases/{release}",
            RestProbe(f"https://firebaserules.googleapis.com/v1/projects/{p}/releases/{release}"),
        ),
    ]
    # A function whose secret has no version fails to deploy:
    # https://cloud.google.com/run/docs/configuring/secrets: an instance whose secret cannot be read never starts.
    for secret, variable in SECRET_VALUES_FROM_ENV.items():
        steps.append(_secret_version(settings, secret, FromEnv(variable)))
    steps.append(_secret_version(settings, CDN_KEY_CONTAINER, NewCdnKey(settings.cdn_key_name)))
    backend = ("compute", "backend-buckets")
    steps += [
        Step(
            name="create the media backend bucket", argv=_apply(settings, "-target=google_compute_backend_bucket.media")
        ),
        # The Cloud CDN fill service agent exists only once a backend has a signed-URL key, and
        # terraform/cdn.tf grants it read on the media bucket:
        # https://cloud.google.com/cdn/docs/using-signed-urls#configure_permissions
        Step(
            name="add the signed-URL key to the media backend bucket",
            argv=_gcloud(
                *backend,
                "add-signed-url-key",
                "media",
                f"--key-name={settings.cdn_key_name}",
                "--key-file={key_file}",
                settings=settings,
            ),
            done=CommandProbe(
                _gcloud(
                    *backend, "describe", "media", "--format=value(cdnPolicy.signedUrlKeyNames)", settings=settings
                ),
                expect=(settings.cdn_key_name,),
            ),
            stdin=KeyFileFromSecret(CDN_KEY_CONTAINER),
        ),
        # Alert policies on a log-based metric fail for minutes after the metric is created:
        # https://github.com/hashicorp/terraform-provider-google/issues/11102
        # Only while no alert policy exists yet: once they do, holding them back would destroy them.
        Step(
            name="apply everything but the alert policies",
            argv=_apply(settings, ALERTS_HELD_BACK),
            done=_in_state(FIRST_ALERT_POLICY),
        ),
        Step(name="apply the alert policies", argv=_apply(settings)),
        Step(name="print the load balancer address", argv=_terraform("output", "-raw", "load_balancer_ip")),
    ]
    return steps


def _secret_version(settings: Settings, secret: str, value: Input) -> Step:
    return Step(
        name=f"add a version to {secret}",
        argv=_gcloud("secrets", "versions", "add", secret, "--data-file=-", settings=settings),
        done=CommandProbe(
            _gcloud(
                "secrets",
                "versions",
                "list",
                secret,
                "--filter=state:enabled",
                "--limit=1",
                "--format=value(name)",
                settings=settings,
            )
        ),
        stdin=value,
    )


def bootstrap_steps(settings: Settings) -> list[Step]:
    return one_time_setup(settings) + first_apply(settings)

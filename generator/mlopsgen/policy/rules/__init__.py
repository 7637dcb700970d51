"""The built-in rules, in one explicit registry (no import side effects)."""

from __future__ import annotations

from mlopsgen.policy.base import Rule
from mlopsgen.policy.rules import (
    art,
    engine,
    gate,
    inj,
    kube,
    perm,
    pin,
    rel,
    run,
    scan,
    sec,
    spec,
    trig,
)

__all__ = ["RULES"]

_ALL: tuple[Rule, ...] = (
    # gate integrity
    gate.DeployNeedsSecurity(),
    gate.DeployNeedsDataValidation(),
    gate.DeployNeedsModelGate(),
    gate.GateSoftFail(),
    gate.GateNeutralised(),
    gate.ScannerNoFail(),
    gate.ProductionApproval(),
    # token permissions
    perm.DefaultPermissions(),
    perm.BroadPermissions(),
    perm.WorkflowWritePermissions(),
    # pinning and supply chain
    pin.ActionPinned(),
    pin.ActionPinComment(),
    pin.AllowedSources(),
    pin.ImagePinned(),
    pin.IncludePinned(),
    pin.TemplateRepoPinned(),
    pin.UnhashedInstall(),
    pin.DownloadExec(),
    pin.ExtraIndexUrl(),
    # injection
    inj.TemplateInjection(),
    inj.ScriptExpressionInjection(),
    inj.AzureMacroInjection(),
    inj.GitLabVariableInjection(),
    inj.EnvFileInjection(),
    inj.InsecureCommands(),
    inj.UnsoundCondition(),
    # triggers and deploy flow
    trig.DangerousTriggers(),
    trig.UntrustedCheckout(),
    trig.SelfHostedOnPullRequests(),
    trig.PipelineRules(),
    trig.DeployRefGuard(),
    trig.DispatchInputs(),
    trig.DeploySerialised(),
    trig.ManualGateOptional(),
    # secrets
    sec.LiteralCredentials(),
    sec.SecretsOutsideEnvironment(),
    sec.SecretsInherited(),
    sec.WholeSecretsContext(),
    sec.DebugLogging(),
    sec.CloudKeys(),
    sec.SecretExfiltration(),
    sec.CredentialOnCommandLine(),
    scan.SecretScanPresent(),
    # clusters
    kube.StoredKubeconfig(),
    kube.ClusterTlsOff(),
    # artifacts, caches, transport
    art.PersistedCredentials(),
    art.CachePoisoning(),
    art.ArtifactExposure(),
    art.InsecureTransport(),
    # runners and files
    run.PrivilegedContainers(),
    run.JobTimeout(),
    run.FloatingRunner(),
    run.HiddenCharacters(),
    run.DuplicateKeys(),
    # release
    rel.TrustedPublishing(),
    # scans
    scan.SastPresent(),
    scan.DependencyAudit(),
    scan.ModelScan(),
    # the spec
    spec.WaiverLifetime(),
    spec.StaticCredentials(),
    spec.SastThreshold(),
    spec.ModelScanOff(),
    spec.SbomOff(),
    spec.ProductionApprovalSpec(),
    spec.MetricBounds(),
    spec.ChampionComparison(),
    # the engine's own findings
    engine.NotYaml(),
    engine.NotAPipeline(),
    engine.UnreadablePipeline(),
    engine.IncludeNotFollowed(),
    engine.InvalidSpec(),
    engine.WaiverProblem(),
    engine.LockedRuleWeakened(),
)

#: Every built-in rule by id, sorted by id.
RULES: dict[str, Rule] = {r.id: r for r in sorted(_ALL, key=lambda r: r.id)}

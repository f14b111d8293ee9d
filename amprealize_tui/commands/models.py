"""`amprealize-tui models`: the models you can pick now, and `models verify` to test a key.

Exit codes: `models` 0 when ready, 1 otherwise (needs a key, key invalid, nothing matches).
`models verify`: 0 valid; 1 invalid key, model not served, or no usable key; 3 inconclusive
(rate limited, server error, network) - try again later.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from amprealize_tui.cli import UsageError
from amprealize_tui.core.config import Settings, load_settings
from amprealize_tui.core.credentials.types import (
    CredentialError,
    CredentialResolver,
    ResolvedCredential,
)
from amprealize_tui.core.providers.availability import (
    ALL_PROVIDERS,
    Availability,
    ReadinessState,
    compute_availability,
)
from amprealize_tui.core.providers.models import ModelCatalog, ModelDefinition
from amprealize_tui.core.providers.results import VerifyResult, VerifyStatus

VERIFY_EXIT_CODES = {
    VerifyStatus.VALID: 0,
    VerifyStatus.INVALID: 1,
    VerifyStatus.MODEL_NOT_SERVED: 1,
    VerifyStatus.INCONCLUSIVE: 3,
}
NO_USABLE_KEY_EXIT = 1


def make_resolver(settings: Settings) -> CredentialResolver:
    """The app's fail-closed resolver: vault keys (user, project, org), then platform keys."""
    from amprealize_tui.core.services import open_resolver

    return open_resolver(settings)


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "models",
        help="list the models you can use now, or verify a key",
        description=(
            "List available models and whether the app is ready (exit 0 ready, 1 not). "
            "`models verify` checks the key with a 1-token completion "
            "(exit 0 valid, 1 invalid or model not served, 3 inconclusive)."
        ),
    )
    parser.add_argument(
        "--provider",
        default="nvidia",
        help='provider to list: "nvidia" (default), "all", or a configured endpoint name',
    )
    parser.add_argument(
        "--all-models",
        action="store_true",
        help="include priced and closed models (hidden from the chat picker by default)",
    )
    parser.add_argument("--project-id", help="resolve keys as a chat in this project would")
    parser.add_argument("--json", action="store_true", help="print JSON")
    sub = parser.add_subparsers(dest="models_command", metavar="SUBCOMMAND")
    verify = sub.add_parser("verify", help="verify the resolved API key for a model")
    verify.add_argument(
        "--model", help="model id or API name (default: the default model, DeepSeek V4 Flash)"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    catalog = ModelCatalog.from_settings(settings)
    resolver = make_resolver(settings)
    if args.models_command == "verify":
        return _verify(args, settings, catalog, resolver)
    return _list(args, settings, catalog, resolver)


def _list(
    args: argparse.Namespace,
    settings: Settings,
    catalog: ModelCatalog,
    resolver: CredentialResolver,
) -> int:
    providers = catalog.providers()
    if args.provider != ALL_PROVIDERS and args.provider not in providers:
        raise UsageError(
            f"unknown provider {args.provider!r}; choose one of: "
            f"{', '.join([ALL_PROVIDERS, *providers])}"
        )
    availability = compute_availability(
        catalog,
        resolver,
        provider_filter=args.provider,
        free_open_only=not args.all_models,
        project_id=args.project_id,
        org_id=settings.org_id,
    )
    if args.json:
        print(json.dumps(_as_json(availability), indent=2))
    else:
        _print_table(availability)
    return 0 if availability.readiness.state is ReadinessState.READY else 1


def _as_json(availability: Availability) -> dict[str, Any]:
    suggested = availability.readiness.suggested_model_id
    return {
        "models": [
            {
                "model_id": a.model.model_id,
                "display_name": a.model.display_name,
                "provider": a.model.provider,
                "api_name": a.model.api_name,
                "context_limit": a.model.context_limit,
                "credential_source": a.credential_source,
                "is_byok": a.is_byok,
                "is_default": a.model.is_default,
                "selected": a.model.model_id == suggested,
            }
            for a in availability.models
        ],
        "readiness": {
            "state": availability.readiness.state.value,
            "message": availability.readiness.message,
            "suggested_model_id": suggested,
        },
        "blocked": {provider: str(exc) for provider, exc in availability.blocked.items()},
    }


def _print_table(availability: Availability) -> None:
    suggested = availability.readiness.suggested_model_id
    header = ("", "MODEL", "ID", "PROVIDER", "CONTEXT", "KEY")
    rows = [
        (
            "*" if a.model.model_id == suggested else "",
            a.model.display_name,
            a.model.model_id,
            a.model.provider,
            f"{a.model.context_limit:,}",
            a.credential_source + (" (byok)" if a.is_byok else ""),
        )
        for a in availability.models
    ]
    if rows:
        widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        print("* = selected by default")
    else:
        print("No models available.")
    readiness = availability.readiness
    print(f"Readiness: {readiness.state.value}: {readiness.message}")


def _verify(
    args: argparse.Namespace,
    settings: Settings,
    catalog: ModelCatalog,
    resolver: CredentialResolver,
) -> int:
    model = catalog.lookup(args.model) if args.model else catalog.default()
    if model is None:
        raise UsageError(
            f"unknown model {args.model!r}; run `amprealize-tui models --provider all "
            "--all-models` to see model ids"
        )
    credential: ResolvedCredential | None = None
    if model.requires_key:
        try:
            credential = resolver.resolve(
                model.provider,
                project_id=args.project_id,
                org_id=settings.org_id,
            )
        except CredentialError as exc:
            print(f"cannot verify: {exc}", file=sys.stderr)
            return NO_USABLE_KEY_EXIT
    result = asyncio.run(_check(model, credential, settings))
    used = f" ({credential.scope.value} key {credential.mask})" if credential else ""
    print(f"{result.status.value.replace('_', ' ')}: {result.message}{used}")
    return VERIFY_EXIT_CODES[result.status]


async def _check(
    model: ModelDefinition, credential: ResolvedCredential | None, settings: Settings
) -> VerifyResult:
    from amprealize_tui.core.providers.client import ProviderClient

    client = ProviderClient(read_timeout=settings.reply_read_timeout)
    try:
        return await client.verify_key(model, credential)
    finally:
        await client.aclose()

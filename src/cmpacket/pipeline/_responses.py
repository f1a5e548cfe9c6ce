"""The agency's responses to the Department, checked: each response folder loaded, its base
packet read as untrusted input, and the validators' response checks run."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cmpacket.cache import Cache
from cmpacket.errors import PacketError
from cmpacket.findings import Finding, ResponseFacts
from cmpacket.model import AgencyData, Response, load_response, response_folders
from cmpacket.plan import doc_keys
from cmpacket.profiles import Profile
from cmpacket.validators import BaseState, check_response
from cmpacket.verify import Base, read_base


def verified_key(sha256: str) -> str:
    """The cache entry that says the packet of these bytes passed verify when its build wrote
    it (the key holds the tool's version: another version checks again)."""
    return Cache.key("verified-packet", sha256)


def base_of(
    response: Response, data: AgencyData, cache: Cache | None = None
) -> tuple[BaseState, Base | None]:
    """The response's base packet read (and verified, unless `cache` says the build that wrote
    these very bytes verified them), as the checks see it and as a build uses it; an unreadable
    one is named in `BaseState.unreadable`."""
    if not response.base:
        return BaseState(
            unreadable="response.yaml names no base (base: out/<agency>-packet.pdf)"
        ), None
    path = data.folder / response.base
    if not path.exists() and not path.is_symlink():
        return BaseState(unreadable=f"{response.base} does not exist", absent=True), None
    try:
        verified = (
            (lambda sha: cache.get(verified_key(sha), "verified") is not None) if cache else None
        )
        base = read_base(path, verified=verified)
    except PacketError as exc:
        return BaseState(unreadable=str(exc)), None
    return BaseState(fein=base.fein, problems=base.problems), base


def check_responses(
    data: AgencyData,
    profile: Profile,
    as_of: date,
    *,
    only: Path | None = None,
    bases: bool = True,
) -> tuple[list[Finding], tuple[ResponseFacts, ...]]:
    """The findings and facts of every response folder of the agency (or of `only`); with
    `bases`, each base packet is read and verified too (slower: `validate` and `respond` do it,
    `build` only lists the responses)."""
    folders = [only] if only is not None else response_folders(data.folder)
    documents = doc_keys(data) if folders else set()
    findings: list[Finding] = []
    facts: list[ResponseFacts] = []
    for folder in folders:
        response, problems = load_response(data.folder, folder)
        findings += problems
        if response is None:
            continue
        state = base_of(response, data)[0] if bases else None
        found, fact = check_response(
            response, data, profile, as_of, base=state, documents=documents
        )
        findings += found
        facts.append(fact)
    return findings, tuple(facts)

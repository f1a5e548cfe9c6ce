"""Requirement profiles: YAML data naming which rules run, with their parameters, citations and
verified flags, the program a profile certifies for, its policy topics and license table. Shared:
the validators run the rules a profile names, the documents quote its program and topics."""

from cmpacket.profiles._licenses import BUILTIN_TABLES, license_table
from cmpacket.profiles._profile import BUILTIN, Profile, RuleSpec, load_profile

__all__ = ["BUILTIN", "BUILTIN_TABLES", "Profile", "RuleSpec", "license_table", "load_profile"]

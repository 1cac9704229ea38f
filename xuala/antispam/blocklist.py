"""The block lists for the hosting servers: nginx, Apache and nftables include files.

`xuala antispam blocklist export --format nginx|apache|nft [--site URL] [--out FILE]`
writes the addresses blocked now (confirmed spam, not yet expired; `Block` rows of kind
`ip`). Without `--site` every site's blocks and the global ones are written (a hosting
server serves many plan sites, and an address that spams one is kept from all of them);
with `--site`, that site's and the global ones. Domains are not exported: a firewall
cannot see them.

- nginx: `deny ADDRESS;` lines, for `include` inside `http`, `server` or `location`;
- Apache: one `<RequireAll>` block (`Require all granted` and a `Require not ip` line
  per address), for `Include` inside `<Directory>` or `<Location>`;
- nftables: a whole `table inet xuala_antispam` with the `blocked_v4`/`blocked_v6` sets
  and an input chain that drops them. The file first declares and deletes the table, so
  `nft -f FILE` replaces it in one transaction: no moment without the rules, and the
  established connections of other addresses are untouched.

Each file starts with a comment naming when it was written and how many addresses it
holds. The node agent (`xuala node`) applies them and reloads the server (`nginx -s
reload` and `apachectl graceful` finish the requests in flight).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime

FORMATS = ("nginx", "apache", "nft")
NFT_TABLE = "xuala_antispam"


def _header(addresses: list[str], now: datetime, comment: str = "#") -> str:
    return (f"{comment} Xuala anti-spam block list: {len(addresses)} addresses, "
            f"written {now:%Y-%m-%d %H:%M:%S} UTC\n")


def normal(values) -> list[str]:
    """Valid addresses and networks, each once, IPv4 first, in address order."""
    found = set()
    for value in values:
        try:
            found.add(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            continue
    ordered = sorted(found, key=lambda net: (net.version, net.network_address, net.prefixlen))
    return [str(net.network_address) if net.num_addresses == 1 else str(net) for net in ordered]


def render(fmt: str, values, *, now: datetime) -> str:
    addresses = normal(values)
    if fmt == "nginx":
        return _header(addresses, now) + "".join(f"deny {a};\n" for a in addresses)
    if fmt == "apache":
        lines = "".join(f"    Require not ip {a}\n" for a in addresses)
        return (_header(addresses, now) + "<RequireAll>\n    Require all granted\n"
                + lines + "</RequireAll>\n")
    if fmt == "nft":
        v4 = [a for a in addresses if ":" not in a]
        v6 = [a for a in addresses if ":" in a]

        def nft_set(name: str, kind: str, members: list[str]) -> str:
            elements = f"        elements = {{ {', '.join(members)} }}\n" if members else ""
            return (f"    set {name} {{\n        type {kind}\n        flags interval\n"
                    f"{elements}    }}\n")

        return (_header(addresses, now)
                + f"table inet {NFT_TABLE} {{}}\ndelete table inet {NFT_TABLE}\n"
                + f"table inet {NFT_TABLE} {{\n"
                + nft_set("blocked_v4", "ipv4_addr", v4) + nft_set("blocked_v6", "ipv6_addr", v6)
                + "    chain input {\n        type filter hook input priority -10; policy accept;\n"
                + "        ip saddr @blocked_v4 drop\n        ip6 saddr @blocked_v6 drop\n"
                + "    }\n}\n")
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")

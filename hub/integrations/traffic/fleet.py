"""The demo plant's vehicles: a repeatable, realistic mix of what drives through a steel plant's gates."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

from hub.util.vin import vin_check_digit

# Province characters weighted towards Hebei/Tianjin/Shanxi, where most steel and coking plants sit.
_PROVINCES = "冀" * 12 + "津" * 4 + "晋" * 4 + "鲁" * 3 + "京豫蒙辽"
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"  # no I or O on plates
_ALNUM = "0123456789" * 2 + _LETTERS


@dataclass(frozen=True, slots=True)
class DemoVehicle:
    """One vehicle of the demo fleet, with what its register record would say."""

    plate: str  # empty for machinery, which carries its registration code instead
    code: str  # 环保登记编码 of machinery; internal number of in-plant vehicles
    colour: str  # hub.util.plate.PlateColour values
    vehicle_class: str  # transport / in_plant / machinery
    vehicle_type: str  # public-security type name
    fuel: str  # public-security fuel letter: B diesel, E natural gas, C electric
    emission_stage: str  # code list: 0..6, D electric, X none
    registered: bool
    tare_kg: int
    max_load_kg: int
    fleet: str
    vin: str
    # The UHF tag (电子标签) of in-plant vehicles and machinery, read at a lane without a plate camera.
    rfid_tag: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# (share, class, type, fuel, stage, colour, registered)
_MIX: tuple[tuple[float, str, str, str, str, str, bool], ...] = (
    (0.38, "transport", "重型半挂牵引车", "B", "6", "yellow", True),
    (0.22, "transport", "重型半挂牵引车", "B", "5", "yellow", True),
    (0.06, "transport", "重型自卸货车", "E", "6", "yellow", True),
    (0.06, "transport", "重型半挂牵引车", "B", "4", "yellow", True),
    (0.08, "transport", "重型半挂牵引车", "C", "D", "yellow_green", True),
    (0.06, "transport", "重型半挂牵引车", "B", "5", "yellow", False),
    (0.02, "transport", "重型半挂牵引车", "B", "3", "yellow", True),
    (0.06, "in_plant", "重型自卸货车", "B", "5", "yellow", True),
    (0.06, "machinery", "装载机", "B", "4", "", True),
)
_FLEETS = ("自有车队", "唐山顺达物流有限公司", "天津港联运输有限公司", "个体", "河北冀运集团")


def _vin(rng: random.Random) -> str:
    # Real VINs carry a check digit; the register validates it, so the demo computes it properly.
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    body = "L" + "".join(rng.choice(chars) for _ in range(16))
    return body[:8] + vin_check_digit(body) + body[9:]


def _plate(rng: random.Random, new_energy: bool) -> str:
    head = rng.choice(_PROVINCES) + rng.choice(_LETTERS)
    if new_energy:  # large new-energy: five digits then D (electric) or F (hybrid)
        return head + "".join(rng.choice("0123456789") for _ in range(5)) + "D"
    return head + "".join(rng.choice(_ALNUM) for _ in range(5))


def build_fleet(size: int, seed: int) -> list[DemoVehicle]:
    """`size` distinct vehicles drawn from the mix; the same seed gives the same fleet."""
    rng = random.Random(seed)
    weights = [m[0] for m in _MIX]
    fleet: dict[str, DemoVehicle] = {}
    serial = 0
    while len(fleet) < size:
        _, cls, vtype, fuel, stage, colour, registered = rng.choices(_MIX, weights)[0]
        serial += 1
        plate = "" if cls == "machinery" else _plate(rng, new_energy=fuel == "C")
        code = f"DEMO{serial:05d}" if cls != "transport" else ""
        tare = rng.randrange(14_000, 19_000, 10) if cls != "machinery" else rng.randrange(9_000, 16_000, 10)
        fleet[plate or code] = DemoVehicle(
            plate=plate,
            code=code,
            colour=colour,
            vehicle_class=cls,
            vehicle_type=vtype,
            fuel=fuel,
            emission_stage=stage,
            registered=registered,
            tare_kg=tare,
            max_load_kg=49_000 - tare,
            fleet=rng.choice(_FLEETS),
            vin=_vin(rng),
            # From the serial, not the generator: the fleet of a seed stays the one it was.
            rfid_tag=f"E2003412B8020117{serial:08X}" if cls != "transport" else "",
        )
    return list(fleet.values())

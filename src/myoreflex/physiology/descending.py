"""Descending (pyramidal and extrapyramidal) control over the spinal reflex loop.

Supraspinal pathways set the excitability of the stretch reflex: the dorsal reticulospinal
system inhibits it, the medial reticulospinal and vestibulospinal systems facilitate it, and
fusimotor (gamma) drive sets spindle sensitivity. A cortical or capsular lesion removes the
cortical facilitation of the inhibitory dorsal reticulospinal tract, so the reflex is released
(Sheean 2002; Li & Francisco 2015, "New insights into the pathophysiology of post-stroke
spasticity"). Here these influences are three numbers and two fusimotor rates.

Facilitation and inhibition add to the pool's net input (pps) and so act on the reflex only through
``theta + inhibition - facilitation`` with the pool's threshold ``theta``
(:mod:`myoreflex.physiology.motoneuron`, "Identifiability"): without a persistent inward current the
three are exactly degenerate, and a fit must free at most one of them.
"""

from __future__ import annotations

import equinox as eqx

from myoreflex.params import param

SHEEAN = "Sheean 2002 Eur J Neurol 9 Suppl 1:3-9 (descending control of the stretch reflex)"
MILEUSNIC_RANGE = "Mileusnic et al. 2006: fusimotor drive explored over 0-100+ pps; relaxed muscle: low drive"


def _gamma():
    return param(20.0, unit="pps", bounds=(0.0, 200.0), source=MILEUSNIC_RANGE)


class DescendingParams(eqx.Module):
    """Descending facilitation and inhibition of the motor neuron pool, and fusimotor drive."""

    facilitation: float = param(
        0.0, unit="pps", bounds=(0.0, 500.0), source=SHEEAN + ": medial reticulospinal/vestibulospinal"
    )
    inhibition: float = param(
        60.0,
        unit="pps",
        bounds=(0.0, 500.0),
        source=SHEEAN + ": dorsal reticulospinal inhibition (calibrated size; lost after a lesion)",
    )
    gamma_dynamic: float = _gamma()
    gamma_static: float = _gamma()


class FusimotorDrive(eqx.Module):
    """Descending control reduced to the fusimotor drive, for a loop whose reflex bypasses the
    spinal circuit (:class:`myoreflex.model.ForceFeedbackLoop`): the spindles still run."""

    gamma_dynamic: float = _gamma()
    gamma_static: float = _gamma()

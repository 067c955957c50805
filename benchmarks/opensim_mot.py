"""Does OpenSim itself read the .mot that ``myoreflex simulate pendulum --out`` writes? (issue 15)

Run with an OpenSim Python (4.5 or 4.6: ``/work/opensim-venv``, see README.md), giving the file:

    myoreflex simulate pendulum --condition stroke --severity 0.5 --out sim.mot
    /work/opensim-venv/bin/python benchmarks/opensim_mot.py sim.mot

It opens the file with ``opensim.TimeSeriesTable`` (OpenSim's own storage reader) and prints, as one
JSON object, OpenSim's version, the column labels, the number of rows, the header's ``inDegrees`` and
the first and last knee angle; it exits 1 if OpenSim refuses the file. The numbers are compared with
myoreflex's own reading in benchmarks/RESULTS.md.
"""

import json
import sys


def read_with_opensim(path: str) -> dict:
    import opensim

    table = opensim.TimeSeriesTable(path)
    labels = list(table.getColumnLabels())
    times = table.getIndependentColumn()
    knee = table.getDependentColumn("knee_angle_r")
    return {
        "opensim": opensim.__version__,
        "file": path,
        "labels": labels,
        "rows": table.getNumRows(),
        "in_degrees": table.getTableMetaDataAsString("inDegrees"),
        "time_s": [times[0], times[len(times) - 1]],
        "knee_angle_r_deg": [knee[0], knee[knee.size() - 1]],
    }


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__)
        return 2
    try:
        print(json.dumps(read_with_opensim(args[0])))
    except Exception as error:  # OpenSim raises its own exception types
        print(json.dumps({"file": args[0], "error": f"{type(error).__name__}: {error}"}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

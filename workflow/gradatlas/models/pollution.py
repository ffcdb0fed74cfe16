from ._base import AbstractModel, Parameter, State, register_model

_K = (
    0.35, 26.6, 1.23e4, 8.6e-4, 8.2e-4, 1.5e4, 1.3e-4, 2.4e4, 1.65e4, 9.0e3,
    0.022, 1.2e4, 1.88, 1.63e4, 4.8e6, 3.5e-4, 0.0175, 1.0e8, 4.44e11, 1240.0,
    2.1, 5.78, 0.0474, 1780.0, 3.12,
)  # fmt: skip
_SPECIES = (
    "NO2", "NO", "O3P", "O3", "HO2", "OH", "HCHO", "CO", "ALD", "MEO2",
    "C2O3", "CO2", "PAN", "CH3O", "HNO3", "O1D", "SO2", "SO4", "NO3", "N2O5",
)  # fmt: skip
_Y0 = {"NO": 0.2, "O3": 0.04, "HCHO": 0.1, "CO": 0.3, "ALD": 0.01, "SO2": 0.007}
_FAST = {"O3P", "OH", "O1D", "CH3O", "HO2", "MEO2", "C2O3", "NO3"}


class Pollution(AbstractModel):
    r"""POLLU: the chemical part of the RIVM air-pollution model (20 species, 25 reactions).

    Reaction rates r1..r25 (mass action, rate constants k1..k25 in ppm and
    minutes) and the 20 balance equations exactly as in the Test Set for IVP
    Solvers (Mazzia & Magherini, problem POLLU) and Verwer (1994), SIAM J. Sci.
    Comput. 15:1243. E.g. r1 = k1 [NO2], r2 = k2 [NO][O3], …, r25 = k25 [N2O5];
    d[NO2]/dt = −r1 − r10 − r14 − r23 − r24 + r2 + r3 + r9 + r11 + r12 + r22 + r25.
    t ∈ [0, 60] min. Radicals (O3P, O1D, OH, …) are the fast species.
    """

    slug = "pollution"
    category = "stiff"
    parameters = tuple(Parameter(f"k{i + 1}", k, "1/(ppm^n min)") for i, k in enumerate(_K))
    states = tuple(State(s, _Y0.get(s, 0.0), "ppm", fast=s in _FAST) for s in _SPECIES)
    t1 = 60.0
    time_units = "min"
    atol_scale = 1e-4

    def rhs(self, t, y, p, np):
        k = [None] + [p[i] for i in range(25)]  # 1-based, as in the Test Set
        y = [None] + [y[i] for i in range(20)]
        r = [None] * 26
        r[1] = k[1] * y[1]
        r[2] = k[2] * y[2] * y[4]
        r[3] = k[3] * y[5] * y[2]
        r[4] = k[4] * y[7]
        r[5] = k[5] * y[7]
        r[6] = k[6] * y[7] * y[6]
        r[7] = k[7] * y[9]
        r[8] = k[8] * y[9] * y[6]
        r[9] = k[9] * y[11] * y[2]
        r[10] = k[10] * y[11] * y[1]
        r[11] = k[11] * y[13]
        r[12] = k[12] * y[10] * y[2]
        r[13] = k[13] * y[14]
        r[14] = k[14] * y[1] * y[6]
        r[15] = k[15] * y[3]
        r[16] = k[16] * y[4]
        r[17] = k[17] * y[4]
        r[18] = k[18] * y[16]
        r[19] = k[19] * y[16]
        r[20] = k[20] * y[17] * y[6]
        r[21] = k[21] * y[19]
        r[22] = k[22] * y[19]
        r[23] = k[23] * y[1] * y[4]
        r[24] = k[24] * y[19] * y[1]
        r[25] = k[25] * y[20]
        return np.stack(
            [
                -r[1] - r[10] - r[14] - r[23] - r[24] + r[2] + r[3] + r[9] + r[11] + r[12] + r[22] + r[25],
                -r[2] - r[3] - r[9] - r[12] + r[1] + r[21],
                -r[15] + r[1] + r[17] + r[19] + r[22],
                -r[2] - r[16] - r[17] - r[23] + r[15],
                -r[3] + 2 * r[4] + r[6] + r[7] + r[13] + r[20],
                -r[6] - r[8] - r[14] - r[20] + r[3] + 2 * r[18],
                -r[4] - r[5] - r[6] + r[13],
                r[4] + r[5] + r[6] + r[7],
                -r[7] - r[8],
                -r[12] + r[7] + r[9],
                -r[9] - r[10] + r[8] + r[11],
                r[9],
                -r[11] + r[10],
                -r[13] + r[12],
                r[14],
                -r[18] - r[19] + r[16],
                -r[20],
                r[20],
                -r[21] - r[22] - r[24] + r[23] + r[25],
                -r[25] + r[24],
            ]
        )


register_model(Pollution())

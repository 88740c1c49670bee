import math

import numpy as np
import pytest

from accord.runner import discounted_accumulation, format_table, line_plot, mean_ci

T_975_2 = 4.302652729911275  # Student t quantile 0.975 with 2 degrees of freedom


def test_discounted_accumulation():
    r = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(discounted_accumulation(r, 0.5), [1.0, 2.0, 3.0])
    runs = np.array([[1.0, 2.0, 4.0], [0.0, 0.0, 8.0]])
    np.testing.assert_allclose(discounted_accumulation(runs, 0.5), [[1, 2, 3], [0, 0, 2]])
    np.testing.assert_allclose(discounted_accumulation(r, 1.0), np.cumsum(r))
    with pytest.raises(ValueError, match=r"discounted_accumulation\(\): rewards must have a "
                                         r"stage axis"):
        discounted_accumulation(3.0, 0.9)
    with pytest.raises(ValueError, match=r"gamma must be a finite number >= 0"):
        discounted_accumulation(r, -0.1)


def test_mean_ci():
    m, h = mean_ci([1.0, 2.0, 6.0])
    s = math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + (6 - 3) ** 2) / 2)
    assert m == 3.0 and h == pytest.approx(T_975_2 * s / math.sqrt(3))
    m, h = mean_ci(np.array([[1.0, 5.0], [2.0, 5.0], [6.0, 5.0]]), axis=0)
    np.testing.assert_allclose(m, [3.0, 5.0])
    np.testing.assert_allclose(h, [T_975_2 * s / math.sqrt(3), 0.0])
    m, h = mean_ci([4.0])
    assert m == 4.0 and math.isnan(h)
    _, h90 = mean_ci([1.0, 2.0, 6.0], level=0.9)
    assert h90 < mean_ci([1.0, 2.0, 6.0])[1]
    with pytest.raises(ValueError, match=r"mean_ci\(\): level must be in \(0, 1\)"):
        mean_ci([1.0, 2.0], level=95)
    with pytest.raises(ValueError, match=r"mean_ci\(\): samples need at least one value"):
        mean_ci([])


def test_format_table():
    text = format_table(["name", "n", "mean"], [["vpi", 3, 1.23456], ["informed", 10, None],
                                                 ["x", 2, float("nan")]], title="T")
    assert text.splitlines() == [
        "T",
        "name       n   mean",
        "--------  --  -----",
        "vpi        3  1.235",
        "informed  10      -",
        "x          2    nan",
    ]
    assert format_table(["a"], []).splitlines() == ["a", "-"]
    with pytest.raises(ValueError, match=r"format_table\(\): row 0 has 1 cells for 2 headers"):
        format_table(["a", "b"], [[1]])


def test_line_plot(tmp_path):
    x = np.arange(5)
    path = line_plot(tmp_path / "sub" / "f.png", x,
                     {"a": (x * 1.0, np.full(5, 0.5)), "b": (x * 2.0, np.full(5, np.nan))},
                     title="t", xlabel="stage", ylabel="reward")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"line_plot\(\): line 'a' has mean shape \(4,\)"):
        line_plot(tmp_path / "g.png", x, {"a": (np.zeros(4), np.zeros(4))})

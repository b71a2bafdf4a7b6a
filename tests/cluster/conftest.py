"""The two-server run's checks live in a support module: let pytest explain its asserts."""

import pytest

pytest.register_assert_rewrite("tests.support.cluster_run", "tests.support.cluster_flows")

"""The package itself: version, and (under make check) that it is the installed wheel."""
import os
import re

import litskit
from conftest import ROOT


def test_version_is_the_projects_constant():
    text = open(os.path.join(ROOT, "Sources/LiTSCore/Version.swift")).read()
    assert litskit.__version__ == re.search(r'static let current = "([^"]+)"', text).group(1)


def test_installed_wheel_when_asked():
    if not os.environ.get("LITSKIT_EXPECT_INSTALLED"):
        return
    assert "site-packages" in litskit.LIBRARY_PATH, litskit.LIBRARY_PATH
    assert "site-packages" in litskit.lits_binary(), litskit.lits_binary()
    if os.environ.get("LITSKIT_TOOLCHAIN_HIDDEN"):
        assert not os.path.exists("/opt/swift/usr/lib"), "the Swift toolchain should be hidden in this check"


def test_library_is_called_without_the_gil():
    # ctypes.CDLL releases the GIL around each foreign call; ctypes.PyDLL would hold it.
    import ctypes
    from litskit import _lib
    assert type(_lib._lib) is ctypes.CDLL
    assert not isinstance(_lib._lib, ctypes.PyDLL)

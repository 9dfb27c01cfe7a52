"""Unit tests of detectors/source.py: reading, decoding (PEP 263), parsing and the pre-filter."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from harp_refactor.detectors import source
from harp_refactor.errors import HarpError, SourceError


class TestDecode:
    @pytest.mark.parametrize(
        ("data", "text", "encoding"),
        [
            (b"x = 1\n", "x = 1\n", "utf-8"),
            ("x = 'café'\n".encode(), "x = 'café'\n", "utf-8"),
            (b"# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n", "# -*- coding: latin-1 -*-\nx = 'café'\n", "iso-8859-1"),
            (
                b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\x80'\n",
                "#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '€'\n",
                "cp1252",
            ),
            (b"\xef\xbb\xbfx = 1\n", "x = 1\n", "utf-8-sig"),
        ],
    )
    def test_decodes_with_the_declared_encoding(self, data: bytes, text: str, encoding: str) -> None:
        """Bytes decode with the PEP 263 encoding (or BOM), UTF-8 when nothing is declared."""
        assert source.decode("mod.py", data) == (text, encoding)

    def test_coding_line_after_line_two_is_ignored(self) -> None:
        """PEP 263 only looks at the first two lines: a later declaration leaves UTF-8 in force."""
        data = b"x = 1\ny = 2\n# -*- coding: latin-1 -*-\nz = '\xc3\xa9'\n"
        assert source.decode("mod.py", data) == ("x = 1\ny = 2\n# -*- coding: latin-1 -*-\nz = 'é'\n", "utf-8")

    @pytest.mark.parametrize(
        "data",
        [
            b"import numpy as np\nx = '\xff\xfe'\n",
            b"a = 1\nb = 2\nc = 3\nx = '\xff'\n",
            b"# -*- coding: no-such-codec -*-\nx = 1\n",
            b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nx = 1\n",
        ],
    )
    def test_undecodable_bytes_raise_source_error_naming_the_file(self, data: bytes) -> None:
        """Invalid bytes, an unknown codec or a BOM contradicting the declaration raise SourceError naming the file."""
        with pytest.raises(SourceError) as raised:
            source.decode("pkg/mod.py", data)
        message = str(raised.value)
        assert message.startswith("pkg/mod.py: cannot decode") and "\n" not in message
        assert isinstance(raised.value, HarpError) and isinstance(raised.value, ValueError)


class TestParse:
    def test_parses_text_into_a_module(self) -> None:
        """Valid text gives a SourceFile carrying the path, the text, the encoding and the module."""
        parsed = source.parse("mod.py", "import torch\nx = torch.ones(3)\n", "iso-8859-1")
        assert (parsed.path, parsed.text, parsed.encoding) == (
            "mod.py",
            "import torch\nx = torch.ones(3)\n",
            "iso-8859-1",
        )
        assert isinstance(parsed.module, cst.Module) and parsed.module.code == parsed.text

    @pytest.mark.parametrize("text", ["x = (\n", "def f(:\n    pass\n", "  x = 1\n", "x = 'abc\n", "x = 1\x00\n"])
    def test_syntax_error_is_one_line_naming_the_file(self, text: str) -> None:
        """A syntax error raises SourceError whose one-line message starts with the path and a position."""
        with pytest.raises(SourceError) as raised:
            source.parse("pkg/bad.py", text)
        message = str(raised.value)
        assert message.startswith("pkg/bad.py:") and "syntax error" in message and "\n" not in message
        line, column = message.split(":")[1:3]
        assert line.isdigit() and column.isdigit()


class TestReadAndLoad:
    def test_missing_file_is_a_source_error(self, tmp_path: Path) -> None:
        """Reading a file that does not exist raises SourceError naming it."""
        missing = tmp_path / "missing.py"
        with pytest.raises(SourceError) as raised:
            source.read_bytes(str(missing))
        assert str(raised.value).startswith(f"{missing}: cannot read")

    def test_directory_is_a_source_error(self, tmp_path: Path) -> None:
        """Reading a directory raises SourceError naming it, not IsADirectoryError."""
        with pytest.raises(SourceError) as raised:
            source.load(str(tmp_path))
        assert str(raised.value).startswith(f"{tmp_path}: cannot read")

    def test_load_decodes_and_parses(self, tmp_path: Path) -> None:
        """`load` reads the bytes, decodes them as declared and parses the result."""
        path = tmp_path / "latin.py"
        path.write_bytes(b"# coding: latin-1\nimport numpy as np\nlabel = 'caf\xe9'\n")
        loaded = source.load(str(path))
        assert loaded is not None
        assert loaded.encoding == "iso-8859-1" and "label = 'café'" in loaded.text
        assert loaded.path == str(path) and loaded.module.code == loaded.text

    def test_load_skips_files_without_framework_unless_told_not_to(self, tmp_path: Path) -> None:
        """With the pre-filter on, a file importing no framework gives None; with it off, it is parsed."""
        path = tmp_path / "plain.py"
        path.write_text("import os\nfor i in range(3):\n    x = os.sep\n", encoding="utf-8")
        assert source.load(str(path)) is None
        loaded = source.load(str(path), prefilter=False)
        assert loaded is not None and loaded.text.startswith("import os")

    def test_prefilter_runs_before_decoding(self, tmp_path: Path) -> None:
        """A skipped file is never decoded: undecodable bytes without a framework import raise nothing."""
        path = tmp_path / "binary.py"
        path.write_bytes(b"x = '\xff\xfe'\n")
        assert source.load(str(path)) is None
        with pytest.raises(SourceError):
            source.load(str(path), prefilter=False)


class TestMentionsFramework:
    @pytest.mark.parametrize(
        "data",
        [
            b"import torch\n",
            b"import numpy as np\n",
            b"from numpy import x\n",
            b"from torch.nn import functional as F\n",
            b"import tensorflow.compat.v1 as tf\n",
            b"import keras\n",
            b'"""Docstring."""\n\nimport os\nimport torch\n',
            b"def f():\n    import numpy\n",
            b"try:\n    import tensorflow as tf\nexcept ImportError:\n    tf = None\n",
        ],
    )
    def test_framework_imports_match(self, data: bytes) -> None:
        """Any import statement of torch, numpy, tensorflow or keras passes the pre-filter."""
        assert source.mentions_framework(data)

    @pytest.mark.parametrize(
        "data",
        [
            b"# import torch\nx = 1\n",
            b"x = 'import torch'\n",
            b"print('we use numpy and tensorflow')\n",
            b"import torchvision\n",
            b"import numpyish\n",
            b"from mylib import torch_helpers\n",
            b"import os\nnumpy = None\n",
            b"",
        ],
    )
    def test_mentions_without_import_do_not_match(self, data: bytes) -> None:
        """A comment, a string, a look-alike module or a bare name is not a framework import."""
        assert not source.mentions_framework(data)

    @pytest.mark.parametrize(
        "data",
        [b"\xef\xbb\xbfimport numpy as np\n", b"import os, numpy as np\n", b"import sys; import torch\n"],
    )
    def test_less_common_import_forms_match(self, data: bytes) -> None:
        """An import after a UTF-8 BOM, in an import list or after a semicolon passes the pre-filter."""
        assert source.mentions_framework(data)

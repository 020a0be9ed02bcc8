"""Fetch remote source files (url, file and sha256 in source.yml) into a git-ignored cache, checking their sha256:
from upstream, else from a mirror ($CONSCIENCE_MIRROR or ../shared/data, as <source id>/<file>): docs/sources.md."""

import argparse
import logging
import os
import shutil
import sys
from pathlib import Path

import pooch

from scripts.common import BuildError
from scripts.read import RAW, ROOT, display_path, read_source_yml, source_folders

CACHE = Path(os.environ.get("CONSCIENCE_CACHE", ROOT / ".cache" / "upstream"))
MIRROR = Path(os.environ.get("CONSCIENCE_MIRROR", ROOT.parent / "shared" / "data"))

pooch.get_logger().setLevel(logging.WARNING)


def fetch_one(meta):
    """Put the source's file in the cache and return its path, or raise BuildError saying why not."""
    target = CACHE / meta["id"] / meta["file"]
    target.parent.mkdir(parents=True, exist_ok=True)
    try:  # a cached file whose checksum matches is used as it is
        pooch.retrieve(meta["url"], known_hash=f"sha256:{meta['sha256']}", fname=meta["file"],
                       path=target.parent, progressbar=False)
        return target
    except ValueError as exc:  # pooch: downloaded, but the hash differs
        raise checksum_error(meta, meta["url"], str(exc)) from None
    except Exception:  # unreachable: fall back to the mirror
        pass
    if not (mirrored := MIRROR / meta["id"] / meta["file"]).exists():
        raise BuildError(f"raw/{meta['id']}/source.yml", None, "url", meta["url"],
                         f"the upstream file is unreachable and there is no mirror copy at {mirrored}",
                         "Connect to the network, or set CONSCIENCE_MIRROR to a folder holding "
                         f"{meta['id']}/{meta['file']}.")
    if (actual := pooch.file_hash(mirrored)) != meta["sha256"]:
        raise checksum_error(meta, mirrored, f"sha256 is {actual}")
    shutil.copyfile(mirrored, target)
    return target


def checksum_error(meta, where, detail):
    return BuildError(f"raw/{meta['id']}/source.yml", None, "sha256", meta["sha256"],
                      f"the file from {where} does not match the declared checksum ({detail})",
                      "If upstream really changed, review the new file, then update url and sha256 together.")


def fetch_all(strict, raw=RAW):
    """{source id: path} of every remote source available; in strict mode any gap is fatal."""
    paths = {}
    for folder in source_folders(raw):
        origin, meta = read_source_yml(folder)
        if not meta.get("sha256"):
            continue
        for key in ("url", "file"):
            if not meta.get(key):
                raise origin.error(key, None, "a remote source needs url, file and sha256",
                                   "Add the upstream URL (pinned to a commit) and the file name.")
        try:
            paths[meta["id"]] = fetch_one(meta)
        except BuildError as exc:
            if strict:
                raise
            print(f"missing source {meta['id']}: {exc}", file=sys.stderr)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="fail if any declared source is missing")
    args = parser.parse_args(argv)
    try:
        for source_id, path in fetch_all(args.strict).items():
            print(f"{source_id}: {display_path(path)}")
    except BuildError as exc:
        sys.exit(f"fetch failed: {exc}")


if __name__ == "__main__":
    main()

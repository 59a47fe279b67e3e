"""transport.clients: which client sends the GETs of object bytes, and clients and stores
that follow the settings in force.

The client made for the settings, its options and proxies are tested in
test_config.py; what pandas is told in test_pandas_s3.py and test_ddf.py; new
keys taken up in test_transport.py (test_refresh_credentials_takes_up_new_keys).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import BUCKET, ON_SEAWEEDFS, put

import s3tools
from s3tools import paths, transport
from s3tools.transport import clients, sizes

DATA = np.random.default_rng(13).bytes(300_000)
CLIENTS = ["obstore"] if ON_SEAWEEDFS else ["obstore", "botocore"]


def _path() -> paths.S3Path:
    return paths.parse_file(f"{BUCKET}/data.bin")


@pytest.mark.parametrize("name", CLIENTS)
def test_the_client_asked_for_sends_the_gets_of_object_bytes(name, fault_proxy, seed,
                                                             monkeypatch):
    put(seed, "data.bin", DATA)
    monkeypatch.setenv("S3TOOLS_GET_CLIENT", name)
    assert transport.get_client_name() == name
    through_botocore = []
    events = transport.client().meta.events
    handler = lambda request, **_: through_botocore.append(request.method)
    events.register("before-send.s3", handler)
    try:
        got, _ = transport.get_range(_path(), 0, len(DATA))
    finally:
        events.unregister("before-send.s3", handler)
    assert bytes(got) == DATA
    assert fault_proxy.count("GET") == 1
    assert through_botocore == (["GET"] if name == "botocore" else [])


def test_obstore_is_chosen_when_installed_and_asked_for_only_if_it_is(monkeypatch):
    monkeypatch.delenv("S3TOOLS_GET_CLIENT", raising=False)
    assert transport.get_client_name() == "obstore"
    monkeypatch.setitem(sys.modules, "obstore", None)  # an import of it fails, as uninstalled
    transport.reset()
    assert transport.get_client_name() == "botocore"
    monkeypatch.setenv("S3TOOLS_GET_CLIENT", "obstore")
    with pytest.raises(s3tools.ConfigError, match="pip install obstore"):
        transport.get_client_name()


def test_the_obstore_store_is_made_once_and_again_for_new_settings(fault_proxy, seed,
                                                                   monkeypatch):
    monkeypatch.setenv("S3TOOLS_GET_CLIENT", "obstore")
    monkeypatch.setenv("S3TOOLS_MAX_ATTEMPTS", "1")
    put(seed, "data.bin", DATA)
    assert bytes(transport.get_range(_path(), 0, 10)[0]) == DATA[:10]
    store = clients.object_store(BUCKET, sizes.PART_SIZE)
    assert clients.object_store(BUCKET, sizes.PART_SIZE) is store
    assert clients.object_store("other-bucket", sizes.PART_SIZE) is not store
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    # The store made for the proxy would still reach it: the new endpoint must be used.
    with pytest.raises(s3tools.S3ConnectionError, match=r"http://127\.0\.0\.1:9"):
        transport.get_range(_path(), 0, 10)
    assert fault_proxy.count("GET") == 1
    assert clients.object_store(BUCKET, sizes.PART_SIZE) is not store


def test_other_services_clients_are_made_once_for_the_settings(monkeypatch):
    sts = transport.client("sts")
    assert sts.meta.service_model.service_name == "sts"
    assert transport.client("sts") is sts
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    assert transport.client("sts") is not sts
    assert transport.client("sts").meta.region_name == "eu-west-2"


def test_a_client_made_again_for_new_settings_reuses_the_parsed_service_model(monkeypatch,
                                                                              seed):
    first = transport.client()
    monkeypatch.setenv("S3TOOLS_READ_TIMEOUT", "17")
    transport.reset()
    again = transport.client()
    assert again is not first
    assert again.meta.config.read_timeout == 17
    # the model botocore read for the first client, not read and parsed again
    assert again._loader is first._loader
    assert again.meta.service_model._service_description is \
        first.meta.service_model._service_description
    assert again.list_buckets()["Buckets"]

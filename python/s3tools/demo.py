"""``make demo``: the main job end to end against an embedded S3 server on 127.0.0.1.

Needs no credentials and no network: moto's S3 server runs in this process,
a bucket is filled with sample files, and s3tools lists, previews, reads,
writes back and reads bytes, as an analyst would.
"""

from __future__ import annotations

import io
import logging
import os

import boto3
import botocore.config
import numpy as np
import pandas as pd


def _sample_frame(rows: int = 1000) -> pd.DataFrame:
    generator = np.random.default_rng(7)
    return pd.DataFrame({
        "patient_id": np.arange(1, rows + 1),
        "site": generator.choice(["Edinburgh", "Glasgow", "Dundee", "Aberdeen"], rows),
        "age": generator.integers(18, 95, rows),
        "score": np.round(generator.normal(50, 10, rows), 2),
        "admitted": pd.date_range("2024-01-01", periods=rows, freq="h").strftime("%Y-%m-%d"),
    })


def _step(title: str) -> None:
    print(f"\n== {title}")


def main() -> None:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the server's request log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # What a Safe Haven user puts in their environment; the web proxy that
        # would break a naive client is left in place on purpose.
        os.environ.update({
            "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "demo-key", "AWS_SECRET_ACCESS_KEY": "demo-secret",
            "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        })
        for name in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_REGION"):
            os.environ.pop(name, None)
        print(f"Embedded S3 server at {endpoint} (a dead http_proxy is set; s3tools ignores it)")

        seed = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                            config=botocore.config.Config(proxies={}))
        seed.create_bucket(Bucket="Request4_CT")
        frame = _sample_frame()
        seed.put_object(Bucket="Request4_CT", Key="cohort/patients.csv",
                        Body=frame.to_csv(index=False).encode())
        parquet = io.BytesIO()
        frame.to_parquet(parquet, index=False)
        seed.put_object(Bucket="Request4_CT", Key="cohort/patients.parquet",
                        Body=parquet.getvalue())
        for number in range(3):
            seed.put_object(Bucket="Request4_CT", Key=f"images/scan-{number:03}.dcm",
                            Body=b"\0" * 128 + b"DICM" + bytes([number]) * 64)

        import s3tools

        _step("accessible_buckets()")
        print(s3tools.accessible_buckets())

        _step('list_files_in_buckets("Request4_CT")')
        listing = s3tools.list_files_in_buckets("Request4_CT")
        print(listing[["path", "size_readable", "lastmodified"]].to_string(index=False))

        _step('s3_path_to_preview_df("s3://Request4_CT/cohort/patients.csv", n=3)')
        print(s3tools.s3_path_to_preview_df("s3://Request4_CT/cohort/patients.csv", n=3))

        _step('s3_path_to_df("Request4_CT/cohort/patients.parquet")')
        patients = s3tools.s3_path_to_df("Request4_CT/cohort/patients.parquet")
        print(f"{len(patients)} rows; columns: {', '.join(patients.columns)}")

        _step("write_df_to_csv_in_s3(summary, 'Request4_CT/outputs/summary.csv')")
        summary = patients.groupby("site", as_index=False).agg(
            patients=("patient_id", "count"), mean_score=("score", "mean")).round(2)
        s3tools.write_df_to_csv_in_s3(summary, "Request4_CT/outputs/summary.csv")
        print(s3tools.s3_path_to_df("Request4_CT/outputs/summary.csv"))
        try:
            s3tools.write_df_to_csv_in_s3(summary, "Request4_CT/outputs/summary.csv")
        except s3tools.AlreadyExistsError as error:
            print(f"Writing again is refused: {error}")

        _step('read_files_from_s3("Request4_CT/images/") (bytes in memory, no disk)')
        images = s3tools.read_files_from_s3("Request4_CT/images/")
        for path, data in images.items():
            print(f"{path}: {len(data)} bytes, DICOM magic {data[128:132]!r}")

        _step('pandas after import s3tools: pd.read_csv("s3://Request4_CT/outputs/summary.csv")')
        print(pd.read_csv("s3://Request4_CT/outputs/summary.csv").head(2))
        print("\nDemo finished.")
    finally:
        server.stop()


if __name__ == "__main__":
    main()

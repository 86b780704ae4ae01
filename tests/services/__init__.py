"""Real servers the tests start (S3 via SeaweedFS), each on free ports in a temp dir."""

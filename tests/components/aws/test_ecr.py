"""The ECR repository: the customer's key, visible replacement on a key change, immutable tags."""

from tests.components.aws.conftest import REPOSITORY, key_arns, run_aws


def test_repository_encrypted_with_the_data_key(prod):
    (repository,) = prod.by_type(REPOSITORY)
    assert repository.inputs["name"] == "ml-images"
    assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key_arns(prod)["data"]}]
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["forceDelete"] is False


def test_a_key_change_is_a_declared_replacement(prod):
    (repository,) = prod.by_type(REPOSITORY)
    assert repository.replace_on_changes == ["encryptionConfigurations"]


def test_repository_url_is_exported(prod):
    assert prod.outputs["aws"]["ecrRepositoryUrl"] == "444455556666.dkr.ecr.eu-west-1.amazonaws.com/ml-images"


def test_no_repository_when_the_name_is_empty():
    run = run_aws("dev", {"awsEcrRepository": ""})
    assert run.by_type(REPOSITORY) == []
    assert "ecrRepositoryUrl" not in run.outputs["aws"]


def test_a_key_change_deletes_before_it_replaces(prod):
    """The name is fixed: create-then-delete would fail on the taken name (issue 9, point 12).
    force_delete stays off, so ECR refuses to delete a repository that still holds images."""
    (repository,) = prod.by_type(REPOSITORY)
    assert repository.delete_before_replace is True
    assert repository.inputs["forceDelete"] is False

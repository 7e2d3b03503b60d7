"""The component plugin: cmek-ml's components for TypeScript, Go, C#, YAML (and Python) programs.

`components/` is a Pulumi plugin folder (`PulumiPlugin.yaml`, `runtime: python`); its
`__main__.py` hosts `HOSTED_COMPONENTS` with Pulumi's component provider, which infers the
package schema from these classes' annotations and docstrings. Pulumi 3.272's inference has limits
(see tests/components/test_plugin_limits.py), so the plugin serves thin classes of its own rather
than the Python components: each has plugin-shaped, typed inputs (a TypedDict: args arrive as a
dict), checks them, and builds the Python component as its only child. The Python API and its type
tokens (`cmek-ml:gcp:LandingZone`, ...) stay as they are; plugin tokens are `cmek-ml:index:<Class>`.
"""

from cmek_ml.plugin.aws import AwsKmsBucket, AwsKmsKey, AwsKmsRepository
from cmek_ml.plugin.azure import AzureCmkRegistry, AzureCmkStorageAccount, AzureKeyVault
from cmek_ml.plugin.gcp import GcpCmekBucket, GcpCmekRepository, GcpKeyRing
from cmek_ml.plugin.inputs import PACKAGE
from cmek_ml.plugin.landing_zones import AwsLandingZone, AzureLandingZone, GcpLandingZone

HOSTED_COMPONENTS = [
    GcpLandingZone,
    AwsLandingZone,
    AzureLandingZone,
    GcpKeyRing,
    GcpCmekBucket,
    GcpCmekRepository,
    AwsKmsKey,
    AwsKmsBucket,
    AwsKmsRepository,
    AzureKeyVault,
    AzureCmkStorageAccount,
    AzureCmkRegistry,
]

__all__ = ["HOSTED_COMPONENTS", "PACKAGE"]

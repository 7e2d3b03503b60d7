"""Azure regions, as data: where the vault, the key and the workspace may live.

Public-cloud regions (`az account list-locations --query "[].name"`), without the logical
geographies (`europe`, `unitedstates`, ...) that no resource can be created in.
"""

LOCATIONS = frozenset(
    """
    australiacentral australiacentral2 australiaeast australiasoutheast austriaeast belgiumcentral
    brazilsouth brazilsoutheast canadacentral canadaeast centralindia centralus chilecentral
    eastasia eastus eastus2 francecentral francesouth germanynorth germanywestcentral
    indonesiacentral israelcentral italynorth japaneast japanwest koreacentral koreasouth
    malaysiawest mexicocentral newzealandnorth northcentralus northeurope norwayeast norwaywest
    polandcentral qatarcentral southafricanorth southafricawest southcentralus southeastasia
    southindia spaincentral swedencentral switzerlandnorth switzerlandwest uaecentral uaenorth
    uksouth ukwest westcentralus westeurope westindia westus westus2 westus3
    """.split()
)

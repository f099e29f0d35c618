"""Request and response bodies of the registration API, one module per resource."""

from services.registration.schemas.common import OptionalReasonBody, ReasonBody
from services.registration.schemas.documents import (
    DocumentPublic,
    DocumentRequirementsIn,
    DocumentRequirementsPublic,
    DocumentsPublic,
    DocumentTalliesPublic,
    DocumentTallyPublic,
    DocumentTypePublic,
    DocumentTypesPublic,
    RequiredDocument,
)
from services.registration.schemas.exhibitors import (
    ExhibitorCreate,
    ExhibitorPublic,
    ExhibitorsPublic,
    ExhibitorUpdate,
    ProductIn,
    RecognitionIn,
)
from services.registration.schemas.fairs import (
    EligibilityIn,
    FairCreate,
    FairPublic,
    FairsPublic,
    FairUpdate,
    PriorityPolicyIn,
    SellerIn,
)
from services.registration.schemas.registrations import (
    AuditEntryPublic,
    AuditLogPublic,
    BulkApprove,
    BulkReject,
    RegistrationCreate,
    RegistrationPublic,
    RegistrationsPublic,
    RegistrationUpdate,
)

__all__ = [
    "AuditEntryPublic", "AuditLogPublic", "BulkApprove", "BulkReject", "DocumentPublic", "DocumentRequirementsIn",
    "DocumentRequirementsPublic", "DocumentTalliesPublic", "DocumentTallyPublic", "DocumentTypePublic",
    "DocumentTypesPublic", "DocumentsPublic", "EligibilityIn",
    "ExhibitorCreate", "ExhibitorPublic", "ExhibitorUpdate", "ExhibitorsPublic", "FairCreate", "FairPublic",
    "FairUpdate", "FairsPublic", "OptionalReasonBody", "PriorityPolicyIn", "ProductIn", "ReasonBody", "RecognitionIn",
    "RegistrationCreate", "RegistrationPublic", "RegistrationUpdate", "RegistrationsPublic", "RequiredDocument",
    "SellerIn",
]

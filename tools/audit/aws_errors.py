"""AWS errors sorted into: the audit cannot run at all, or this part was not checked (and why)."""

from __future__ import annotations

from botocore import exceptions as boto_errors
from botocore.parsers import ResponseParserError

from .model import AuditError

# Error codes that mean the credentials themselves are unusable: nothing can be checked.
CREDENTIAL_CODES = frozenset({
    "ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId",
    "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidSignatureException", "AuthFailure",
    "InvalidAccessKeyId", "MissingAuthenticationToken", "MissingAuthenticationTokenException",
})
ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
    "AuthorizationError", "Forbidden", "403",
})
# botocore's standard retry mode retries these with backoff; one that still fails was throttled throughout.
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
    "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
})
UNIMPLEMENTED_CODES = frozenset({
    "NotImplemented", "NotImplementedException", "InvalidAction", "UnknownOperationException",
    "UnsupportedOperation", "UnsupportedOperationException", "404",
})
OPT_IN_CODES = frozenset({"OptInRequired", "SubscriptionRequiredException", "UnrecognizedServiceException"})


def credential_failure(code: str, message: str) -> AuditError:
    return AuditError(
        f"AWS rejected the credentials ({code}: {message}). Refresh them (aws sso login, new session "
        "token) or choose others with --profile / AWS_PROFILE.")


def not_checked_reason(error: Exception, action: str) -> str:
    """Why `action` could not be checked; raises AuditError when nothing at all can be checked."""
    if isinstance(error, (boto_errors.NoCredentialsError, boto_errors.PartialCredentialsError)):
        raise AuditError("no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                         "or pass --profile.")
    if isinstance(error, boto_errors.TokenRetrievalError):
        raise AuditError(f"the SSO token could not be refreshed ({error}): run aws sso login.")
    if isinstance(error, boto_errors.ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code", "")) or str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        message = " ".join(str(info.get("Message", "")).split())
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in CREDENTIAL_CODES:
            raise credential_failure(code, message)
        retries = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        if code in ACCESS_DENIED_CODES:
            return f"access denied to {action} ({code})"
        if code in THROTTLING_CODES:
            return f"throttled: {action} still answered {code} after {retries} retries"
        if code in UNIMPLEMENTED_CODES or "not been implemented" in message or "not yet implemented" in message:
            return f"the endpoint does not implement {action} ({code}: {message[:120]})"
        if isinstance(status, int) and status >= 500:
            return f"{action}: the endpoint answered HTTP {status} after {retries} retries"
        if code in OPT_IN_CODES:
            return f"{action}: the service is not enabled in this region or account ({code})"
        return f"{action} failed: {code}: {message[:160]}"
    if isinstance(error, (boto_errors.EndpointConnectionError, boto_errors.ConnectTimeoutError,
                          boto_errors.ReadTimeoutError, boto_errors.ConnectionClosedError)):
        return f"{action}: endpoint unreachable ({error})"
    if isinstance(error, boto_errors.BotoCoreError):
        return f"{action} failed: {error}"
    if isinstance(error, ResponseParserError):  # not a BotoCoreError: e.g. an HTML error page from a proxy
        return f"{action}: the endpoint's answer could not be parsed ({str(error).splitlines()[0][:160]})"
    raise error

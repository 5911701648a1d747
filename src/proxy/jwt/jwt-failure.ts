// Why a token was refused: the short texts Envoy's jwt_authn filter answers with (its status
// strings), so clients and scripts written against Istio see the same 401 bodies.

export const JwtFailure = {
  BadFormat: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  HeaderBadBase64: 'Jwt header is an invalid Base64url encoded',
  HeaderBadJson: 'Jwt header is an invalid JSON',
  HeaderBadAlg: 'Jwt header [alg] field is required and must be a string',
  AlgNotSupported: 'Jwt header [alg] is not supported',
  HeaderBadKid: 'Jwt header [kid] field is not a string',
  PayloadBadBase64: 'Jwt payload is an invalid Base64url encoded',
  PayloadBadJson: 'Jwt payload is an invalid JSON',
  IssNotString: 'Jwt payload [iss] field is not a string',
  SubNotString: 'Jwt payload [sub] field is not a string',
  AudNotString: 'Jwt payload [aud] field is not a string or string list',
  ExpNotInteger: 'Jwt payload [exp] field is not an integer',
  NbfNotInteger: 'Jwt payload [nbf] field is not an integer',
  SignatureBadBase64: 'Jwt signature is an invalid Base64url encoded',
  Expired: 'Jwt is expired',
  NotYetValid: 'Jwt not yet valid',
  UnknownIssuer: 'Jwt issuer is not configured',
  AudienceNotAllowed: 'Audiences in Jwt are not allowed',
  VerificationFails: 'Jwt verification fails',
  JwksFetchFailed: 'Jwks remote fetch is failed',
  JwksBadJson: 'Jwks is an invalid JSON',
  JwksNoValidKeys: "Jwks doesn't have any valid public key",
  JwksNoMatchingKey: "Jwks doesn't have key to match kid or alg from Jwt",
} as const;

export type JwtFailure = (typeof JwtFailure)[keyof typeof JwtFailure];

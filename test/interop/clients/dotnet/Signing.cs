using System;
using System.Security.Cryptography;
using System.Text;

/// <summary>
/// The AuthenticationHeader's timestamp and signature as .NET integrations computed them:
/// DateTime.Now with its offset, lowercase hex of HMACSHA1(encryption key, timestamp + user id).
/// </summary>
static class Signing
{
    /// <summary>{ requestTimestamp, requestSignature } for a call made now.</summary>
    public static string[] Now(string userId, string encryptionKey)
    {
        string requestTimestamp = DateTime.Now.ToString("yyyy-MM-ddTHH:mm:sszzz");
        HMACSHA1 hmac = new HMACSHA1(Encoding.UTF8.GetBytes(encryptionKey));
        byte[] hash = hmac.ComputeHash(Encoding.UTF8.GetBytes(requestTimestamp + userId));
        return new string[] { requestTimestamp, BitConverter.ToString(hash).Replace("-", "").ToLower() };
    }
}

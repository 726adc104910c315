/**
 * Keys of every item kind. Every key starts with the SDKAppID (tenancy, DESIGN.md invariant 6),
 * except the connection-independent app item which is the SDKAppID itself.
 */
export const appKey = (sdkAppId: number) => ({ pk: `APP#${sdkAppId}`, sk: 'APP' });

/** A user's partition holds her profile, devices and line, so "who rings, is she busy" is one Query. */
export const userPk = (sdkAppId: number, userId: string) => `USER#${sdkAppId}#${userId}`;
export const PROFILE_SK = 'PROFILE';
export const LINE_SK = 'LINE';
export const DEVICE_SK_PREFIX = 'DEV#';
export const deviceSk = (connectionId: string) => `${DEVICE_SK_PREFIX}${connectionId}`;

export const callKey = (sdkAppId: number, callId: string) => ({ pk: `CALL#${sdkAppId}#${callId}`, sk: 'CALL' });
export const recordKey = (sdkAppId: number, callId: string) => ({ pk: `REC#${sdkAppId}#${callId}`, sk: 'REC' });
export const recordsByTimePk = (sdkAppId: number) => `RECS#${sdkAppId}`;

/** Fixed-width number so string order is numeric order in sort keys. */
export const pad = (n: number, width = 13) => String(Math.max(0, Math.floor(n))).padStart(width, '0');

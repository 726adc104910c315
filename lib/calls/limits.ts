/** Members a call may have at once, counting the caller and everyone ringing (client-api.md §6: "9 people"). */
export const MAX_CALL_MEMBERS = 9;

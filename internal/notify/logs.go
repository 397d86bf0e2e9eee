package notify

// LogSent is the message of the record written for each notification
// delivered, with the attributes notification, channel, monitor, event,
// attempt and duration. The program's log handler summarises it during a
// storm (logx.Storm).
const LogSent = "notification sent"

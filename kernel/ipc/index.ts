// Agent messaging: one persistent mailbox per agent in the kernel's SQLite database. Other kernel code imports only here.
export { Mailboxes, type AgentDirectory, type MailboxOptions } from './Mailboxes.js';

//! A faithful Confluence REST simulator (Cloud and Data Center flavours).

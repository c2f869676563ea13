<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>Controller</name>
    <message>
        <source>Enter your username and password.</source>
        <translation>Enter your username and password.</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <source>Could not load the sessions: %1</source>
        <translation>Could not load the sessions: %1</translation>
    </message>
</context>
<context>
    <name>LoginWindow</name>
    <message>
        <source>LoginGuard — Sign in</source>
        <translation>LoginGuard — Sign in</translation>
    </message>
    <message>
        <source>Sign in to LoginGuard</source>
        <translation>Sign in to LoginGuard</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>Server</translation>
    </message>
    <message>
        <source>Username</source>
        <translation>Username</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>This PC&apos;s name</source>
        <translation>This PC&apos;s name</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Language</translation>
    </message>
    <message>
        <source>Remember username</source>
        <translation>Remember username</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>Signing in…</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Sign in</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Connected</source>
        <translation>Connected</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Connecting…</translation>
    </message>
    <message>
        <source>Reconnecting…</source>
        <translation>Reconnecting…</translation>
    </message>
    <message>
        <source>Offline — retrying in %1 s</source>
        <translation>Offline — retrying in %1 s</translation>
    </message>
    <message>
        <source>Reconnecting in %1 s</source>
        <translation>Reconnecting in %1 s</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>Signed in as %1</source>
        <translation>Signed in as %1</translation>
    </message>
    <message>
        <source>LoginGuard</source>
        <translation>LoginGuard</translation>
    </message>
    <message>
        <source>This PC</source>
        <translation>This PC</translation>
    </message>
    <message>
        <source>Signed in since</source>
        <translation>Signed in since</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Connection</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Sign out</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>You were signed out because your account signed in on %1 (%2) at %3.</source>
        <translation>You were signed out because your account signed in on %1 (%2) at %3.</translation>
    </message>
    <message>
        <source>You were signed out because your account signed in on another PC.</source>
        <translation>You were signed out because your account signed in on another PC.</translation>
    </message>
    <message>
        <source>You were signed out because your session expired: it was idle too long or reached its time limit. Please sign in again.</source>
        <translation>You were signed out because your session expired: it was idle too long or reached its time limit. Please sign in again.</translation>
    </message>
    <message>
        <source>You were signed out because your account was disabled. Please contact your administrator.</source>
        <translation>You were signed out because your account was disabled. Please contact your administrator.</translation>
    </message>
    <message>
        <source>You were signed out by an administrator.</source>
        <translation>You were signed out by an administrator.</translation>
    </message>
    <message>
        <source>You were signed out because this session was signed out elsewhere. Please sign in again.</source>
        <translation>You were signed out because this session was signed out elsewhere. Please sign in again.</translation>
    </message>
    <message>
        <source>The server was restarted or reset and no longer knows this sign-in. Sign in again.</source>
        <translation>The server was restarted or reset and no longer knows this sign-in. Sign in again.</translation>
    </message>
    <message>
        <source>You were signed out because the server no longer accepts this sign-in (it may have been reset). Please sign in again.</source>
        <translation>You were signed out because the server no longer accepts this sign-in (it may have been reset). Please sign in again.</translation>
    </message>
    <message>
        <source>Wrong username or password.</source>
        <translation>Wrong username or password.</translation>
    </message>
    <message>
        <source>This account is in use on %1 since %2. Sign out there first, or ask an administrator.</source>
        <translation>This account is in use on %1 since %2. Sign out there first, or ask an administrator.</translation>
    </message>
    <message>
        <source>Not signed in. The other PC stays signed in.</source>
        <translation>Not signed in. The other PC stays signed in.</translation>
    </message>
    <message>
        <source>Too many failed attempts. Try again in %1 s.</source>
        <translation>Too many failed attempts. Try again in %1 s.</translation>
    </message>
    <message>
        <source>Too many failed attempts. Try again later.</source>
        <translation>Too many failed attempts. Try again later.</translation>
    </message>
    <message>
        <source>The server cannot sign anyone in right now. Try again shortly.</source>
        <translation>The server cannot sign anyone in right now. Try again shortly.</translation>
    </message>
    <message>
        <source>Cannot reach the server at %1. Check the address and your network.</source>
        <translation>Cannot reach the server at %1. Check the address and your network.</translation>
    </message>
    <message>
        <source>“%1” is not a server address. Example: http://127.0.0.1:8000</source>
        <translation>“%1” is not a server address. Example: http://127.0.0.1:8000</translation>
    </message>
    <message>
        <source>The server gave an answer this app does not understand (%1).</source>
        <translation>The server gave an answer this app does not understand (%1).</translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation>Signed out</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Account in use</source>
        <translation>Account in use</translation>
    </message>
    <message>
        <source>This account is in use on %1 since %2. Sign in here and sign out the other PC?</source>
        <translation>This account is in use on %1 since %2. Sign in here and sign out the other PC?</translation>
    </message>
    <message>
        <source>Sign in here</source>
        <translation>Sign in here</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>SessionsView</name>
    <message>
        <source>This PC</source>
        <translation>This PC</translation>
    </message>
    <message>
        <source>Your sessions</source>
        <translation>Your sessions</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Device</translation>
    </message>
    <message>
        <source>IP address</source>
        <translation>IP address</translation>
    </message>
    <message>
        <source>Signed in</source>
        <translation>Signed in</translation>
    </message>
</context>
</TS>

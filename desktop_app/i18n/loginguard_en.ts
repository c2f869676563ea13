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
        <source>Could not load the sessions. %1</source>
        <translation>Could not load the sessions. %1</translation>
    </message>
</context>
<context>
    <name>LoginWindow</name>
    <message>
        <source>Your account is in use on another PC. Waiting for it to allow this sign-in…</source>
        <translation>Your account is in use on another PC. Waiting for it to allow this sign-in…</translation>
    </message>
    <message>
        <source>Your account is in use on another PC. Waiting for it to allow this sign-in… (%1 s)</source>
        <translation>Your account is in use on another PC. Waiting for it to allow this sign-in… (%1 s)</translation>
    </message>
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
        <source>Stay signed in on this PC</source>
        <translation>Stay signed in on this PC</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
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
    <message>
        <source>Retry now</source>
        <translation>Retry now</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>less than a minute</source>
        <translation>less than a minute</translation>
    </message>
    <message>
        <source>about 1 minute</source>
        <translation>about 1 minute</translation>
    </message>
    <message>
        <source>about %1 minutes</source>
        <translation>about %1 minutes</translation>
    </message>
    <message>
        <source>about 1 hour</source>
        <translation>about 1 hour</translation>
    </message>
    <message>
        <source>about %1 hours</source>
        <translation>about %1 hours</translation>
    </message>
    <message>
        <source>about %1 days</source>
        <translation>about %1 days</translation>
    </message>
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
        <source>You were signed out from %1 (%2) at %3.</source>
        <translation>You were signed out from %1 (%2) at %3.</translation>
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
        <source>Too many failed attempts. You can try again in %1.</source>
        <translation>Too many failed attempts. You can try again in %1.</translation>
    </message>
    <message>
        <source>The other PC did not answer in time, so it stays signed in. Try again, or sign out there first.</source>
        <translation>The other PC did not answer in time, so it stays signed in. Try again, or sign out there first.</translation>
    </message>
    <message>
        <source>A newer sign-in from this PC took this one&apos;s place.</source>
        <translation>A newer sign-in from this PC took this one&apos;s place.</translation>
    </message>
    <message>
        <source>Another PC is already asking to sign in with this account. Try again shortly.</source>
        <translation>Another PC is already asking to sign in with this account. Try again shortly.</translation>
    </message>
    <message>
        <source>Another PC is already asking to sign in with this account. Try again in %1 s.</source>
        <translation>Another PC is already asking to sign in with this account. Try again in %1 s.</translation>
    </message>
    <message>
        <source>Another PC is already asking to sign in with this account. Try again in %1.</source>
        <translation>Another PC is already asking to sign in with this account. Try again in %1.</translation>
    </message>
    <message>
        <source>The other PC declined this sign-in. It stays signed in.</source>
        <translation>The other PC declined this sign-in. It stays signed in.</translation>
    </message>
    <message>
        <source>The server ran into a problem (HTTP %1). Try again shortly.</source>
        <translation>The server ran into a problem (HTTP %1). Try again shortly.</translation>
    </message>
    <message>
        <source>The server gave an answer this app does not understand (HTTP %1). Check the server address.</source>
        <translation>The server gave an answer this app does not understand (HTTP %1). Check the server address.</translation>
    </message>
    <message>
        <source>The server gave an answer this app does not understand. Check the server address.</source>
        <translation>The server gave an answer this app does not understand. Check the server address.</translation>
    </message>
    <message>
        <source>Too many failed attempts. Try again later.</source>
        <translation>Too many failed attempts. Try again later.</translation>
    </message>
    <message>
        <source>This account is being used on two PCs at once. Wait %1 or contact your administrator.</source>
        <translation>This account is being used on two PCs at once. Wait %1 or contact your administrator.</translation>
    </message>
    <message>
        <source>This account is being used on two PCs at once. Wait a few minutes or contact your administrator.</source>
        <translation>This account is being used on two PCs at once. Wait a few minutes or contact your administrator.</translation>
    </message>
    <message>
        <source>The server cannot sign anyone in right now. Try again shortly.</source>
        <translation>The server cannot sign anyone in right now. Try again shortly.</translation>
    </message>
    <message>
        <source>Sign-in cancelled.</source>
        <translation>Sign-in cancelled.</translation>
    </message>
    <message>
        <source>This account is disabled. Please contact your administrator.</source>
        <translation>This account is disabled. Please contact your administrator.</translation>
    </message>
    <message>
        <source>The server did not accept the username or this PC&apos;s name. Check them and try again.</source>
        <translation>The server did not accept the username or this PC&apos;s name. Check them and try again.</translation>
    </message>
    <message>
        <source>Cannot reach the server at %1. Check the address and your network.</source>
        <translation>Cannot reach the server at %1. Check the address and your network.</translation>
    </message>
    <message>
        <source>The server at %1 did not answer in time. Check your network, or try again shortly.</source>
        <translation>The server at %1 did not answer in time. Check your network, or try again shortly.</translation>
    </message>
    <message>
        <source>A secure connection to %1 could not be set up (a certificate or encryption problem). Check the address, or ask your administrator.</source>
        <translation>A secure connection to %1 could not be set up (a certificate or encryption problem). Check the address, or ask your administrator.</translation>
    </message>
    <message>
        <source>“%1” is not a server address. Example: http://127.0.0.1:8000</source>
        <translation>“%1” is not a server address. Example: http://127.0.0.1:8000</translation>
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
    <name>Notices</name>
    <message>
        <source>Your sign-out has not reached the server at %1 yet. LoginGuard sends it as soon as the server answers.</source>
        <translation>Your sign-out has not reached the server at %1 yet. LoginGuard sends it as soon as the server answers.</translation>
    </message>
    <message>
        <source>Keep LoginGuard open until then: without a usable keychain this PC cannot keep it after you quit.</source>
        <translation>Keep LoginGuard open until then: without a usable keychain this PC cannot keep it after you quit.</translation>
    </message>
    <message>
        <source>Your last sign-out never reached the server at %1, and this PC had no usable keychain to keep it. That session ends by itself when it expires.</source>
        <translation>Your last sign-out never reached the server at %1, and this PC had no usable keychain to keep it. That session ends by itself when it expires.</translation>
    </message>
    <message>
        <source>Your last sign-out never reached the server at %1, and this PC had no usable keychain to keep it. That session ends by itself by %2 at the latest.</source>
        <translation>Your last sign-out never reached the server at %1, and this PC had no usable keychain to keep it. That session ends by itself by %2 at the latest.</translation>
    </message>
    <message>
        <source>Your sign-out has reached the server.</source>
        <translation>Your sign-out has reached the server.</translation>
    </message>
    <message>
        <source>This PC&apos;s keychain could not be read, so you were not signed in automatically.</source>
        <translation>This PC&apos;s keychain could not be read, so you were not signed in automatically.</translation>
    </message>
    <message>
        <source>This PC&apos;s keychain could not be used, so you will have to sign in again after LoginGuard is closed.</source>
        <translation>This PC&apos;s keychain could not be used, so you will have to sign in again after LoginGuard is closed.</translation>
    </message>
</context>
<context>
    <name>Sessions</name>
    <message>
        <source>End the session on %1 (%2), signed in since %3? That PC is signed out at once.</source>
        <translation>End the session on %1 (%2), signed in since %3? That PC is signed out at once.</translation>
    </message>
    <message>
        <source>End the sessions on %1? Those PCs are signed out at once; this PC stays signed in.</source>
        <translation>End the sessions on %1? Those PCs are signed out at once; this PC stays signed in.</translation>
    </message>
    <message>
        <source>End all other sessions</source>
        <translation>End all other sessions</translation>
    </message>
    <message>
        <source>End all</source>
        <translation>End all</translation>
    </message>
    <message>
        <source>End session</source>
        <translation>End session</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Could not end the other sessions. %1</source>
        <translation>Could not end the other sessions. %1</translation>
    </message>
    <message>
        <source>Could not end the session on %1. %2</source>
        <translation>Could not end the session on %1. %2</translation>
    </message>
    <message>
        <source>The session on %1 had already ended.</source>
        <translation>The session on %1 had already ended.</translation>
    </message>
</context>
<context>
    <name>SessionsView</name>
    <message>
        <source>This PC</source>
        <translation>This PC</translation>
    </message>
    <message>
        <source>End</source>
        <translation>End</translation>
    </message>
    <message>
        <source>Your sessions</source>
        <translation>Your sessions</translation>
    </message>
    <message>
        <source>End all other sessions</source>
        <translation>End all other sessions</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>Try again</translation>
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
<context>
    <name>Takeover</name>
    <message>
        <source>The sign-in request from %1 had already timed out.</source>
        <translation>The sign-in request from %1 had already timed out.</translation>
    </message>
    <message>
        <source>%1 had already cancelled its sign-in.</source>
        <translation>%1 had already cancelled its sign-in.</translation>
    </message>
    <message>
        <source>The sign-in request from %1 had already ended before your answer arrived.</source>
        <translation>The sign-in request from %1 had already ended before your answer arrived.</translation>
    </message>
    <message>
        <source>Your answer did not reach the server. %1</source>
        <translation>Your answer did not reach the server. %1</translation>
    </message>
    <message>
        <source>Sign-in request</source>
        <translation>Sign-in request</translation>
    </message>
    <message>
        <source>Allow</source>
        <translation>Allow</translation>
    </message>
    <message>
        <source>Deny</source>
        <translation>Deny</translation>
    </message>
    <message>
        <source>%1 (%2) wants to sign in with your account. If you allow it, this PC is signed out.</source>
        <translation>%1 (%2) wants to sign in with your account. If you allow it, this PC is signed out.</translation>
    </message>
    <message>
        <source>Answer within %1 s.</source>
        <translation>Answer within %1 s.</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>Signed out</source>
        <translation>Signed out</translation>
    </message>
    <message>
        <source>Your account signed in on another PC. Open LoginGuard for details.</source>
        <translation>Your account signed in on another PC. Open LoginGuard for details.</translation>
    </message>
    <message>
        <source>Sign-in request</source>
        <translation>Sign-in request</translation>
    </message>
    <message>
        <source>Another PC wants to sign in with your account. Open LoginGuard to allow or deny it.</source>
        <translation>Another PC wants to sign in with your account. Open LoginGuard to allow or deny it.</translation>
    </message>
    <message>
        <source>LoginGuard is still running</source>
        <translation>LoginGuard is still running</translation>
    </message>
    <message>
        <source>You stay signed in. Use Quit in this icon&apos;s menu to close LoginGuard.</source>
        <translation>You stay signed in. Use Quit in this icon&apos;s menu to close LoginGuard.</translation>
    </message>
    <message>
        <source>LoginGuard — connected</source>
        <translation>LoginGuard — connected</translation>
    </message>
    <message>
        <source>LoginGuard — offline</source>
        <translation>LoginGuard — offline</translation>
    </message>
    <message>
        <source>LoginGuard — signed out</source>
        <translation>LoginGuard — signed out</translation>
    </message>
    <message>
        <source>Open LoginGuard</source>
        <translation>Open LoginGuard</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Sign out</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quit</translation>
    </message>
</context>
</TS>

// EchoClient.cpp
//
// Client.cpp's counterpart for the echo servers (Threads.cpp, Overlap.cpp,
// IocpServer.cpp): writes a message, then reads the echo back.

#include <windows.h>
#include <stdio.h>

#define PIPE_NAME "\\\\.\\Pipe\\jim"

int main(void)
{
    HANDLE PipeHandle;
    DWORD BytesWritten;
    DWORD BytesRead;
    CHAR Buffer[256];

    if (WaitNamedPipe(PIPE_NAME, NMPWAIT_WAIT_FOREVER) == 0)
    {
        printf("WaitNamedPipe failed with error %d\n",
            GetLastError());
        return 1;
    }

    if ((PipeHandle = CreateFile(PIPE_NAME,
        GENERIC_READ | GENERIC_WRITE, 0,
        (LPSECURITY_ATTRIBUTES) NULL, OPEN_EXISTING,
        FILE_ATTRIBUTE_NORMAL,
        (HANDLE) NULL)) == INVALID_HANDLE_VALUE)
    {
        printf("CreateFile failed with error %d\n", GetLastError());
        return 1;
    }

    if (WriteFile(PipeHandle, "This is a test", 14, &BytesWritten,
        NULL) == 0)
    {
        printf("WriteFile failed with error %d\n", GetLastError());
        CloseHandle(PipeHandle);
        return 1;
    }

    printf("Wrote %d bytes\n", BytesWritten);

    if (ReadFile(PipeHandle, Buffer, sizeof(Buffer), &BytesRead,
        NULL) == 0)
    {
        printf("ReadFile failed with error %d\n", GetLastError());
        CloseHandle(PipeHandle);
        return 1;
    }

    printf("Read %d bytes: %.*s\n", BytesRead, BytesRead, Buffer);

    CloseHandle(PipeHandle);
    return 0;
}

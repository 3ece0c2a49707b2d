// IocpServer.cpp
//
// An echo server like Overlap.cpp, but driven by an I/O completion port:
// every pipe instance is associated with one port, and a single loop on
// GetQueuedCompletionStatus learns which operation finished where. A key
// press stops the server through PostQueuedCompletionStatus.

#include <windows.h>
#include <stdio.h>
#include <conio.h>

#define NUM_PIPES 5
#define BUFFER_SIZE 256
#define QUIT_KEY NUM_PIPES

// The OVERLAPPED comes first so that the pointer the port hands back is
// also a pointer to the instance's context.
typedef struct _PIPE_INSTANCE
{
    OVERLAPPED Ovlap;
    HANDLE PipeHandle;
    CHAR Buffer[BUFFER_SIZE];
    // What the pending operation is: connect, read or write
    enum { CONNECTING, READING, WRITING } State;
} PIPE_INSTANCE;

PIPE_INSTANCE Pipes[NUM_PIPES];

// Posts an overlapped ConnectNamedPipe. A client that connected between
// CreateNamedPipe (or DisconnectNamedPipe) and now makes it fail with
// ERROR_PIPE_CONNECTED; no completion packet comes for that, so post one.
BOOL ListenForClient(HANDLE CompletionPort, DWORD i)
{
    ZeroMemory(&Pipes[i].Ovlap, sizeof(OVERLAPPED));
    Pipes[i].State = PIPE_INSTANCE::CONNECTING;

    if (ConnectNamedPipe(Pipes[i].PipeHandle, &Pipes[i].Ovlap) == 0)
    {
        if (GetLastError() == ERROR_PIPE_CONNECTED)
        {
            return PostQueuedCompletionStatus(CompletionPort, 0, i,
                &Pipes[i].Ovlap);
        }
        if (GetLastError() != ERROR_IO_PENDING)
        {
            printf("ConnectNamedPipe for pipe %d failed with error %d\n",
                i, GetLastError());
            return FALSE;
        }
    }
    return TRUE;
}

// The client went away: disconnect the instance and listen again
BOOL RestartInstance(HANDLE CompletionPort, DWORD i)
{
    if (DisconnectNamedPipe(Pipes[i].PipeHandle) == 0)
    {
        printf("DisconnectNamedPipe failed with error %d\n",
            GetLastError());
        return FALSE;
    }
    return ListenForClient(CompletionPort, i);
}

// Waits for a key, then tells the completion loop to stop
DWORD WINAPI KeyboardProc(LPVOID lpParameter)
{
    _getch();
    PostQueuedCompletionStatus((HANDLE) lpParameter, 0, QUIT_KEY, NULL);
    return 0;
}

int main(void)
{
    HANDLE CompletionPort;
    HANDLE ThreadHandle;
    DWORD BytesTransferred;
    ULONG_PTR Key;
    LPOVERLAPPED Overlapped;
    PIPE_INSTANCE *Pipe;
    DWORD i;

    if ((CompletionPort = CreateIoCompletionPort(INVALID_HANDLE_VALUE,
        NULL, 0, 1)) == NULL)
    {
        printf("CreateIoCompletionPort failed with error %d\n",
            GetLastError());
        return 1;
    }

    for(i = 0; i < NUM_PIPES; i++)
    {
        // Create a named pipe instance
        if ((Pipes[i].PipeHandle = CreateNamedPipe("\\\\.\\PIPE\\jim",
            PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
            PIPE_TYPE_BYTE | PIPE_READMODE_BYTE, NUM_PIPES,
            0, 0, 1000, NULL)) == INVALID_HANDLE_VALUE)
        {
            printf("CreateNamedPipe for pipe %d failed "
                "with error %d\n", i, GetLastError());
            return 1;
        }

        // Completions of this instance arrive with its index as the key
        if (CreateIoCompletionPort(Pipes[i].PipeHandle, CompletionPort,
            i, 0) == NULL)
        {
            printf("CreateIoCompletionPort for pipe %d failed "
                "with error %d\n", i, GetLastError());
            return 1;
        }

        if (ListenForClient(CompletionPort, i) == FALSE)
        {
            return 1;
        }
    }

    if ((ThreadHandle = CreateThread(NULL, 0, KeyboardProc,
        CompletionPort, 0, NULL)) == NULL)
    {
        printf("CreateThread failed with error %d\n", GetLastError());
        return 1;
    }
    CloseHandle(ThreadHandle);

    printf("Server is now running\n");

    // Read and echo data back to named pipe clients until a key is pressed
    while(1)
    {
        if (GetQueuedCompletionStatus(CompletionPort, &BytesTransferred,
            &Key, &Overlapped, INFINITE) == 0)
        {
            if (Overlapped == NULL)
            {
                printf("GetQueuedCompletionStatus failed with error %d\n",
                    GetLastError());
                return 1;
            }

            // The operation failed: the client went away
            printf("Client gone with error %d, listen again\n",
                GetLastError());
            if (RestartInstance(CompletionPort, (DWORD) Key) == FALSE)
            {
                return 1;
            }
            continue;
        }

        if (Key == QUIT_KEY)
        {
            break;
        }

        Pipe = (PIPE_INSTANCE *) Overlapped;

        switch (Pipe->State)
        {
        case PIPE_INSTANCE::CONNECTING:
            printf("Client connected\n");
            // Fall through: post the first read

        case PIPE_INSTANCE::WRITING:
            // Prepare to read data from the client
            ZeroMemory(&Pipe->Ovlap, sizeof(OVERLAPPED));
            Pipe->State = PIPE_INSTANCE::READING;

            // An operation that fails at once queues no completion
            // packet: the client is gone, so listen again now
            if (ReadFile(Pipe->PipeHandle, Pipe->Buffer, BUFFER_SIZE,
                NULL, &Pipe->Ovlap) == 0 &&
                GetLastError() != ERROR_IO_PENDING)
            {
                printf("ReadFile failed with error %d\n", GetLastError());
                if (RestartInstance(CompletionPort, (DWORD) Key) == FALSE)
                {
                    return 1;
                }
            }
            break;

        case PIPE_INSTANCE::READING:
            // Write received data back to the client
            printf("Received %d bytes, echo bytes back\n",
                BytesTransferred);

            ZeroMemory(&Pipe->Ovlap, sizeof(OVERLAPPED));
            Pipe->State = PIPE_INSTANCE::WRITING;

            if (WriteFile(Pipe->PipeHandle, Pipe->Buffer,
                BytesTransferred, NULL, &Pipe->Ovlap) == 0 &&
                GetLastError() != ERROR_IO_PENDING)
            {
                printf("WriteFile failed with error %d\n", GetLastError());
                if (RestartInstance(CompletionPort, (DWORD) Key) == FALSE)
                {
                    return 1;
                }
            }
            break;
        }
    }

    for(i = 0; i < NUM_PIPES; i++)
    {
        CloseHandle(Pipes[i].PipeHandle);
    }
    CloseHandle(CompletionPort);

    printf("Server stopped\n");
    return 0;
}

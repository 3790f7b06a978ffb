/**
 * A request QStash would refuse, with its status and `{error}` message. Route
 * handlers throw it; the app turns it into the JSON answer QStash gives.
 */
export class ApiError extends Error {
  readonly status: 400 | 404;

  constructor(status: ApiError["status"], message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

export const badRequest = (message: string): ApiError =>
  new ApiError(400, message);
export const notFound = (message: string): ApiError =>
  new ApiError(404, message);
